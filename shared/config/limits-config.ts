/**
 * `limits` in the config: what one user may do, whatever their token allows. Each
 * limit is per principal (`<iss>#<sub>`), kept in DynamoDB with conditional writes,
 * so a burst of parallel calls cannot slip past it.
 */
import * as z from 'zod';
import { durationSchema } from '../domain/duration';

const rateSchema = z
  .object({
    count: z.number().int().min(1).max(10_000).describe('How many calls are allowed in each period.'),
    per: durationSchema.describe('The period, e.g. "1m"; counted in fixed windows of this length.'),
  })
  .strict();

export const limitsSchema = z
  .object({
    pendingRequests: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .describe('Requests one user may have waiting (pending MFA or approval) at once (default 10); one more gets 429.'),
    creates: rateSchema
      .default({ count: 20, per: 60 })
      .describe('POST /v1/requests per user (default 20 per minute); more gets 429 with Retry-After.'),
    mfaAnswers: rateSchema
      .default({ count: 20, per: 60 })
      .describe('MFA answers (POST /v1/requests/{id}/mfa) per user (default 20 per minute); more gets 429 with Retry-After.'),
    mfaLockout: z
      .object({
        failures: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .default(10)
          .describe("Wrong TOTP codes, across all of a user's requests, that lock their MFA (default 10)."),
        window: durationSchema.default(900).describe('The sliding window the wrong codes are counted in (default 15m).'),
        lockFor: durationSchema.default(900).describe('How long MFA stays locked; even a right code gets 429 meanwhile (default 15m).'),
        notify: z
          .string()
          .min(1)
          .optional()
          .describe('An approver group told of each lock (the user is always told, on the events topic).'),
      })
      .strict()
      .prefault({})
      .describe("Wrong TOTP codes counted per user across requests; too many lock that user's MFA."),
    enrolmentMaxAge: durationSchema
      .default(600)
      .describe(
        'Enrolling a TOTP authenticator needs a sign-in (auth_time) at most this old (default 10m); ' +
          'older gets 401 with an RFC 9470 max_age challenge.',
      ),
  })
  .strict()
  .prefault({})
  .describe('Per-user limits: pending requests, request and MFA-answer rates, the TOTP lockout, enrolment freshness.');

export type Limits = z.output<typeof limitsSchema>;
export type RateLimit = Limits['creates'];
