/** Where a console call happens: the API's root as the browser sees it, the cookie scope, the key and the time. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Deps } from '../../shared/runtime';
import { approveBase, cookieScope, type CookieScope } from '../../shared/web/sso';
import { ConsolePaths } from '../../shared/web/console/layout';

export interface Place {
  event: APIGatewayProxyEvent;
  /** `https://host/` (custom domain), `https://host/prod/` (execute-api) or `http://127.0.0.1:4000/` (local). */
  root: string;
  paths: ConsolePaths;
  /** Path `/` or `/prod`: the cookies cover the whole console, not only `/console`, since `GET /` is its home. */
  scope: CookieScope;
  callbackUrl: string;
  /** Approval links in notifications point here, as for requests made through the API. */
  linkBase: string;
  key: Buffer;
  now: Date;
}

export async function placeOf(deps: Deps, event: APIGatewayProxyEvent): Promise<Place> {
  const linkBase = approveBase(event, deps.publicUrl);
  const root = linkBase.replace(/approve\/$/, '');
  return {
    event,
    root,
    paths: new ConsolePaths(new URL(root).pathname),
    scope: cookieScope(root),
    callbackUrl: `${root}console/callback`,
    linkBase,
    key: await deps.linkKey(),
    now: deps.now(),
  };
}
