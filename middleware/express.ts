/**
 * `jitgate/express`: `requireApproval` as Express (4 and 5) or Connect middleware, for any
 * server whose handlers take Node's `(req, res, next)`. Typed against node:http only, so
 * it needs neither express nor its types at run time:
 *
 *   app.post('/payments/:id/approve', requireApproval({
 *     action: 'payments:approve', resource: (req) => `payments/${req.params.id}`, consume: true,
 *   }), (req, res) => { ... req.jitgate.grant ... });
 *
 * The decision is middleware/core.ts, shared with `jitgate/middy`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decide, gate, type AuthorizeResult, type Refusal, type RequireApprovalOptions } from './core';

export type { AuthorizeResult, AutoRequestOptions, RequireApprovalOptions } from './core';

/** What a route handler sees after `requireApproval` let the request through. */
export type Approved<Req> = Req & { jitgate: AuthorizeResult };

/** Express's request as far as a resource function usually needs it (`params`, `body`); any IncomingMessage fits. */
export type ConnectRequest = IncomingMessage & { params?: Record<string, string>; body?: unknown; jitgate?: AuthorizeResult };

/**
 * Express's own request type (`import type { Request } from 'express'`) can be given as `Req`
 * for typed `params`: `requireApproval<Request<{ id: string }>>({ ... })`.
 */
export function requireApproval<Req extends IncomingMessage = ConnectRequest & { params: Record<string, string> }>(
  options: RequireApprovalOptions<Req>,
): (req: Req, res: ServerResponse, next: (err?: unknown) => void) => Promise<void> {
  const g = gate(options);
  return async (req, res, next) => {
    const decision = await decide(g, req, req.headers.authorization);
    if (decision.allowed) {
      (req as Approved<Req>).jitgate = decision.result;
      return next();
    }
    send(res, decision.response);
  };
}

function send(res: ServerResponse, refusal: Refusal): void {
  if (res.headersSent) return;
  res.statusCode = refusal.status;
  for (const [name, value] of Object.entries(refusal.headers)) res.setHeader(name, value);
  res.end(JSON.stringify(refusal.body));
}
