import type { IssuerConfig } from './issuer-config';

// ---------------------------------------------------------------------------
// Rules that depend on where the config is used

/** `local`: `npm start` and the CLI; `deploy`: `cdk synth` and the deployed functions. */
export type ConfigMode = 'local' | 'deploy';

export interface IssuerIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Checks across issuers and per mode: on AWS only https issuers and JWKS (a
 * `development: true` issuer is dropped at synth, so it may stay http); and no two
 * issuers with the same `iss`, which would make a token's issuer ambiguous.
 */
export function issuerIssues(issuers: Record<string, IssuerConfig>, mode: ConfigMode): IssuerIssue[] {
  const issues: IssuerIssue[] = [];
  const seen = new Map<string, string>();
  for (const [name, issuer] of Object.entries(issuers)) {
    const first = seen.get(issuer.issuer);
    if (first !== undefined)
      issues.push({
        path: ['issuers', name, 'issuer'],
        message: `issuer "${name}" has the same issuer URL as "${first}"; a token's "iss" must name one issuer, so merge the two`,
      });
    else seen.set(issuer.issuer, name);
    if (mode === 'local' || issuer.development) continue;
    if (issuer.issuer.startsWith('http://')) {
      issues.push({
        path: ['issuers', name, 'issuer'],
        message:
          `issuer "${name}" is http://, which only local mode accepts; a deployed issuer must be https:// (or mark local mode's ` +
          'own IdP "development": true)',
      });
    }
    if (issuer.jwksUri?.startsWith('http://')) {
      issues.push({
        path: ['issuers', name, 'jwksUri'],
        message: `issuer "${name}" fetches its keys over http://, which only local mode accepts; use https://`,
      });
    }
  }
  return issues;
}
