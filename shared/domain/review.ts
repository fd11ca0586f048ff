/**
 * Post-hoc review of a break-glass grant. Nobody decided before the grant started, so
 * each member of the policy's notify group gets a personal review link (`shared/domain/links.ts`,
 * purpose `review`) and says afterwards whether it was fine (`confirmed`) or not
 * (`flagged`, with a reason, which the security team is told about). Pure rules here;
 * the write is in `usecases/reviews.ts`, the page in `review-page.ts`.
 */
import type { Config } from '../config/config';
import { groupMembers } from './identity';
import type { BreakGlassReview, JitRequest, PersonRef } from './request';

/** How long a review link works: a week, so a grant broken on a Friday night is still reviewed on Monday. */
export const REVIEW_WINDOW_SECONDS = 7 * 24 * 3600;

export type ReviewOutcome = BreakGlassReview['outcome'];

export function isReviewOutcome(value: unknown): value is ReviewOutcome {
  return value === 'confirmed' || value === 'flagged';
}

/**
 * The reviewer a link names, as the config knows them now: a member of the request's
 * notify group. Someone removed from the group since the link was sent reviews nothing.
 */
export function reviewerOf(config: Config, request: JitRequest, reviewerId: string): PersonRef | undefined {
  const group = request.requirements.breakGlass?.notify;
  if (!request.breakGlass || !group) return undefined;
  return groupMembers(config, group).find((m) => m.id === reviewerId);
}

/** Why this reviewer cannot review this request (now), in words; undefined when they can. */
export function reviewRefusal(request: JitRequest, reviewerId: string): { status: 403 | 409; message: string } | undefined {
  if (!request.breakGlass) return { status: 409, message: 'This request did not break glass; there is nothing to review.' };
  // The person who broke glass would otherwise confirm their own emergency.
  if (request.requester.id === reviewerId)
    return { status: 403, message: 'You broke glass yourself; another member of the group reviews it.' };
  if ((request.reviews ?? []).some((r) => r.reviewer.id === reviewerId))
    return { status: 409, message: 'You have already reviewed this break-glass grant; this link works once.' };
  return undefined;
}

/** 400 text when the form does not make a review; a flag needs its reason. */
export function reviewInputProblem(outcome: unknown, reason: string | undefined): string | undefined {
  if (!isReviewOutcome(outcome))
    return 'The form did not say whether you confirm or flag this grant; go back and press one of the two buttons.';
  if (outcome === 'flagged' && !reason) return 'Say why you flag it: the security team reads your reason.';
  return undefined;
}
