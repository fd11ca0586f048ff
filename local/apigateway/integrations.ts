/**
 * A method's integration as a route target: AWS_PROXY → the logical id of the Lambda function
 * it invokes, MOCK → a static response. Other integration types are refused.
 */
import { getAttTarget, isGetAtt, refOf, type CfnTemplate } from './template-refs';

export type Target =
  | { kind: 'lambda'; functionLogicalId: string; authorizationType: string }
  | { kind: 'mock'; statusCode: number; body: string; headers: Record<string, string> };

export function integrationTarget(methodId: string, p: Record<string, unknown>, resources: NonNullable<CfnTemplate['Resources']>): Target {
  const integration = (p.Integration ?? {}) as Record<string, unknown>;
  const type = String(integration.Type ?? '');
  if (type === 'AWS_PROXY') {
    const fn = functionOfUri(integration.Uri, resources);
    if (!fn) {
      throw new Error(
        `buildRouter: method ${methodId}: cannot find the Lambda function in the AWS_PROXY integration's Uri ` +
          JSON.stringify(integration.Uri),
      );
    }
    return { kind: 'lambda', functionLogicalId: fn, authorizationType: String(p.AuthorizationType ?? 'NONE') };
  }
  if (type === 'MOCK') return mockTarget(integration);
  throw new Error(
    `buildRouter: method ${methodId}: integration type ${type || '(none)'} is not supported in local mode (AWS_PROXY and MOCK are)`,
  );
}

/** The logical id of the function an integration Uri points at (GetAtt Arn, Ref to an alias/version, or Fn::Sub). */
function functionOfUri(uri: unknown, resources: NonNullable<CfnTemplate['Resources']>): string | undefined {
  const resolveRef = (id: string): string | undefined => {
    const r = resources[id];
    if (!r) return undefined;
    if (r.Type === 'AWS::Lambda::Function') return id;
    if (r.Type === 'AWS::Lambda::Alias' || r.Type === 'AWS::Lambda::Version') {
      const name = r.Properties?.FunctionName;
      const ref = refOf(name) ?? (isGetAtt(name) ? getAttTarget(name) : undefined);
      return ref ? resolveRef(ref) : undefined;
    }
    return undefined;
  };
  const visit = (v: unknown): string | undefined => {
    if (isGetAtt(v, 'Arn')) return resolveRef(getAttTarget(v));
    const ref = refOf(v);
    if (ref) return resolveRef(ref);
    if (typeof v === 'string') {
      for (const m of v.matchAll(/\$\{([A-Za-z0-9]+)(?:\.Arn)?\}/g)) {
        const found = resolveRef(m[1]!);
        if (found) return found;
      }
      return undefined;
    }
    if (Array.isArray(v)) {
      for (const x of v) {
        const found = visit(x);
        if (found) return found;
      }
      return undefined;
    }
    if (v && typeof v === 'object') {
      for (const x of Object.values(v)) {
        const found = visit(x);
        if (found) return found;
      }
    }
    return undefined;
  };
  return visit(uri);
}

/**
 * A MOCK integration as a static response: the status code from the request template's
 * `statusCode` (default 200) picks the integration response whose SelectionPattern matches
 * it, else the default one (no SelectionPattern); its `application/json` template is the body
 * (VTL is not evaluated) and `method.response.header.X: "'value'"` parameters are its headers.
 * No integration response at all: 500, as API Gateway answers.
 */
function mockTarget(integration: Record<string, unknown>): Target {
  const requestTemplates = (integration.RequestTemplates ?? {}) as Record<string, unknown>;
  const reqTemplate = requestTemplates['application/json'] ?? Object.values(requestTemplates)[0];
  let requested = 200;
  if (typeof reqTemplate === 'string') {
    const m = /"?statusCode"?\s*:\s*"?(\d{3})/.exec(reqTemplate);
    if (m) requested = Number(m[1]);
  }
  const responses = Array.isArray(integration.IntegrationResponses) ? (integration.IntegrationResponses as Record<string, unknown>[]) : [];
  const selected =
    responses.find((r) => {
      const pattern = r.SelectionPattern;
      if (typeof pattern !== 'string' || pattern === '') return false;
      try {
        return new RegExp(`^(?:${pattern})$`).test(String(requested));
      } catch {
        return false;
      }
    }) ?? responses.find((r) => r.SelectionPattern === undefined || r.SelectionPattern === '');
  if (!selected) {
    return { kind: 'mock', statusCode: 500, body: '{"message": "Internal server error"}', headers: { 'Content-Type': 'application/json' } };
  }
  const templates = (selected.ResponseTemplates ?? {}) as Record<string, unknown>;
  const templateType = 'application/json' in templates ? 'application/json' : Object.keys(templates)[0];
  const body = templateType && typeof templates[templateType] === 'string' ? (templates[templateType] as string) : '';
  const headers: Record<string, string> = { 'Content-Type': templateType ?? 'application/json' };
  for (const [k, v] of Object.entries((selected.ResponseParameters ?? {}) as Record<string, unknown>)) {
    const h = /^method\.response\.header\.(.+)$/.exec(k);
    const value = typeof v === 'string' ? /^'(.*)'$/s.exec(v) : null;
    if (!h || !value) continue; // only static values; mappings from the integration response have nothing to map here
    for (const existing of Object.keys(headers)) if (existing.toLowerCase() === h[1]!.toLowerCase()) delete headers[existing];
    headers[h[1]!] = value[1]!;
  }
  return { kind: 'mock', statusCode: Number(selected.StatusCode ?? 200), body, headers };
}
