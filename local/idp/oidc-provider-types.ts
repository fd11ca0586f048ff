/** The slice of oidc-provider's API the development IdP uses (the package ships no types). */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  on(event: string, listener: (...args: any[]) => void): void;
  removeAllListeners(): void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    opts?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: GrantClass;
}
export interface InteractionDetails {
  uid: string;
  prompt: {
    name: string;
    reasons: string[];
    details: { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  };
  params: Record<string, string | undefined>;
  grantId?: string;
  session?: { accountId: string };
}
export interface Grant {
  jti: string;
  accountId: string;
  clientId: string;
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}
export type GrantClass = { new (init: { accountId: string; clientId: string }): Grant; find(id: string): Promise<Grant | undefined> };
