/** SNS errors as the awsQuery protocol reports them, shared by the service and its HTTP endpoint. */

/** An SNS error with its awsQuery error code (`NotFound`, `InvalidParameter`, ...) and HTTP status. */
export class SnsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
    readonly senderFault = statusCode < 500,
  ) {
    super(message);
    this.name = `${code}Exception`;
  }
}

export const invalid = (what: string) => new SnsError('InvalidParameter', `Invalid parameter: ${what}`);
export const invalidValue = (what: string) => new SnsError('ParameterValueInvalid', what);
