/**
 * `jitgate/middy`: `requireApproval` as a middy middleware for Lambda handlers behind API
 * Gateway (REST payload v1 or HTTP API payload v2) or a function URL:
 *
 *   export const handler = middy(approvePayment).use(requireApproval<APIGatewayProxyEvent>({
 *     action: 'payments:approve', resource: (event) => `payments/${event.pathParameters?.id}`, consume: true,
 *   }));
 *
 * Allowed: the handler runs with `event.jitgate` set. Anything else: the `before` step
 * returns the response, so middy skips the handler. Typed structurally, so it needs neither
 * @middy/core nor aws-lambda's types at run time. The decision is middleware/core.ts, shared with
 * `jitgate/express`.
 */
import { decide, gate, type AuthorizeResult, type RequireApprovalOptions } from './core';

export type { AuthorizeResult, AutoRequestOptions, RequireApprovalOptions } from './core';

/** The part of an API Gateway or function URL event the middleware reads. */
export interface HttpEvent {
  headers?: Record<string, string | undefined> | null;
  jitgate?: AuthorizeResult;
}

/** An API Gateway proxy result (`APIGatewayProxyResult`, `APIGatewayProxyStructuredResultV2`). */
export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** A middy middleware object (`MiddlewareObj` of @middy/core), as far as this one needs it. */
export interface ApprovalMiddleware<Event> {
  before: (request: { event: Event }) => Promise<HttpResult | undefined>;
}

export function requireApproval<Event extends HttpEvent = HttpEvent>(options: RequireApprovalOptions<Event>): ApprovalMiddleware<Event> {
  const g = gate(options);
  return {
    before: async (request) => {
      const decision = await decide(g, request.event, header(request.event.headers, 'authorization'));
      if (decision.allowed) {
        request.event.jitgate = decision.result;
        return undefined;
      }
      const { status, headers, body } = decision.response;
      return { statusCode: status, headers, body: JSON.stringify(body) };
    },
  };
}

/** API Gateway v1 keeps the header names as sent (`Authorization`); v2 and function URLs lower-case them. */
function header(headers: HttpEvent['headers'], name: string): string | undefined {
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === name && v !== undefined) return v;
  return undefined;
}
