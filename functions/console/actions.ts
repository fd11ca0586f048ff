/**
 * The console's form posts, each the use case the API calls for the same action, with the
 * session's principal; the same body validation as the API's (shared/web/api-schemas.ts),
 * after the form's fields are turned into that body. Each answers a 303 to the page that
 * shows the result, with `?done=<what>` for the banner.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { approverGroupsOf } from '../../shared/domain/approvals';
import { ValidationFailed } from '../../shared/domain/errors';
import { isGlob } from '../../shared/domain/glob';
import type { Principal } from '../../shared/domain/identity';
import type { Deps } from '../../shared/runtime';
import { cancelRequest, revokeGrant } from '../../shared/usecases/cancel-revoke';
import { decide } from '../../shared/usecases/decisions';
import { answerMfa } from '../../shared/usecases/mfa';
import { createRequest } from '../../shared/usecases/requests';
import { getRequest } from '../../shared/usecases/request-reads';
import { createRequestBody, mfaBody, revokeBody } from '../../shared/web/api-schemas';
import { validate } from '../../shared/web/http';
import { seeOther } from '../../shared/web/console/layout';
import type { Place } from './place';

export type ActionContext = { deps: Deps; place: Place; principal: Principal; form: URLSearchParams };
type Action = (c: ActionContext) => Promise<APIGatewayProxyResult>;

const text = (form: URLSearchParams, name: string) => form.get(name)?.trim() || undefined;

/** The new-request form as POST /v1/requests's body: the chosen policy gives the action unless it is a pattern. */
export function requestBodyOf(deps: Deps, form: URLSearchParams): unknown {
  const index = Number(form.get('policy'));
  const policy = Number.isInteger(index) ? deps.config.policies[index] : undefined;
  if (!policy) throw new ValidationFailed('choose one of the actions listed in the form', [{ path: 'policy', message: 'pick an action' }]);
  const typed = text(form, 'action');
  if (isGlob(policy.action) && !typed)
    throw new ValidationFailed(`"${policy.action}" covers several actions: type the exact one under "Exact action"`, [
      { path: 'action', message: `an action matching ${policy.action}` },
    ]);
  const resource = text(form, 'resource') ?? (policy.resource && !isGlob(policy.resource) ? policy.resource : undefined);
  const minutes = text(form, 'minutes');
  if (minutes !== undefined && !/^\d{1,6}$/.test(minutes))
    throw new ValidationFailed('the duration is a whole number of minutes', [{ path: 'minutes', message: 'whole minutes' }]);
  return {
    action: typed ?? policy.action,
    ...(resource ? { resource } : {}),
    ...(text(form, 'justification') ? { justification: text(form, 'justification') } : {}),
    ...(text(form, 'ticket') ? { ticket: text(form, 'ticket') } : {}),
    ...(minutes !== undefined ? { durationSeconds: Number(minutes) * 60 } : {}),
  };
}

function idOf(c: ActionContext): string {
  return c.place.event.pathParameters?.id ?? '';
}

const decision =
  (verb: 'approve' | 'deny'): Action =>
  async (c) => {
    const id = idOf(c);
    const reason = validate(revokeBody, { ...(text(c.form, 'reason') ? { reason: text(c.form, 'reason') } : {}) }, 'form').reason;
    // As on the API: a request the caller may not see is 404, so a refusal cannot tell its requirements.
    await getRequest(c.deps, c.principal, id);
    const person = { person: c.principal, groups: approverGroupsOf(c.deps.config, c.principal), via: 'sso' as const };
    await decide(c.deps, person, id, verb, reason);
    return seeOther(`${c.place.paths.page('inbox')}?done=${verb === 'approve' ? 'approved' : 'denied'}`);
  };

export const ACTIONS: Record<string, Action> = {
  'POST /console/requests': async (c) => {
    const body = validate(createRequestBody, requestBodyOf(c.deps, c.form), 'form');
    const result = await createRequest(c.deps, c.principal, body, { linkBase: c.place.linkBase });
    return seeOther(`${c.place.paths.request(result.request.id)}?done=created`);
  },
  'POST /console/requests/{id}/approve': decision('approve'),
  'POST /console/requests/{id}/deny': decision('deny'),
  'POST /console/requests/{id}/mfa': async (c) => {
    const { code } = validate(mfaBody, { code: text(c.form, 'code') ?? '' }, 'form');
    await answerMfa(c.deps, c.principal, idOf(c), code);
    return seeOther(`${c.place.paths.request(idOf(c))}?done=mfa`);
  },
  'POST /console/requests/{id}/cancel': async (c) => {
    await cancelRequest(c.deps, c.principal, idOf(c));
    return seeOther(`${c.place.paths.request(idOf(c))}?done=cancelled`);
  },
  'POST /console/requests/{id}/revoke': async (c) => {
    const reason = validate(revokeBody, { ...(text(c.form, 'reason') ? { reason: text(c.form, 'reason') } : {}) }, 'form').reason;
    await revokeGrant(c.deps, c.principal, idOf(c), reason);
    return seeOther(`${c.place.paths.request(idOf(c))}?done=revoked`);
  },
};
