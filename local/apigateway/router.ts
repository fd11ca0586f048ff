/**
 * The synthesized template's RestApi as a local router: `AWS::ApiGateway::Resource` and
 * `AWS::ApiGateway::Method` become routes (integrations.ts says where each one goes),
 * matched with API Gateway's precedence.
 */
import { integrationTarget, type Target } from './integrations';
import { getAttTarget, isGetAtt, refOf, type CfnTemplate } from './template-refs';

export interface LambdaRouteMatch {
  kind: 'lambda';
  functionLogicalId: string;
  /** The resource path with its parameters, e.g. `/v1/requests/{id}`. */
  resourcePath: string;
  /** Decoded path parameters (`{}` when none). */
  pathParameters: Record<string, string>;
  /** The method as declared: the request's method or `ANY`. */
  methodHttpMethod: string;
  methodLogicalId: string;
  authorizationType: string;
}

export interface MockRouteMatch {
  kind: 'mock';
  statusCode: number;
  body: string;
  headers: Record<string, string>;
  resourcePath: string;
  pathParameters: Record<string, string>;
  methodHttpMethod: string;
  methodLogicalId: string;
}

export type RouteMatch = LambdaRouteMatch | MockRouteMatch;

export interface RouteInfo {
  httpMethod: string;
  resourcePath: string;
  kind: 'lambda' | 'mock';
  /** The function's logical id, or the mock's status code. */
  target: string;
}

export interface Router {
  /** The best route for a method and a path (query string allowed, ignored), or undefined. */
  match(method: string, path: string): RouteMatch | undefined;
  /** Every route, sorted by path then method (for printing at startup). */
  routes: RouteInfo[];
  restApiLogicalId: string;
  /** The RestApi's BinaryMediaTypes (used by toProxyEvent when passed in its options). */
  binaryMediaTypes: string[];
}

interface MethodEntry {
  logicalId: string;
  httpMethod: string;
  target: Target;
}

interface Node {
  resourcePath: string;
  literal: Map<string, Node>;
  param?: { name: string; node: Node };
  greedy?: { name: string; node: Node };
  methods: Map<string, MethodEntry>;
}

const newNode = (resourcePath: string): Node => ({ resourcePath, literal: new Map(), methods: new Map() });

/**
 * Builds the router from a synthesized template. With several RestApis, name one.
 * Throws, naming the method, for integrations local mode cannot run (anything but AWS_PROXY
 * to a function of the template, and MOCK).
 */
export function buildRouter(template: CfnTemplate, opts: { restApiLogicalId?: string } = {}): Router {
  const resources = template.Resources ?? {};
  const apis = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::ApiGateway::RestApi')
    .map(([id]) => id);
  const apiId = opts.restApiLogicalId ?? (apis.length === 1 ? apis[0] : undefined);
  if (!apiId || !resources[apiId]) {
    throw new Error(
      apis.length === 0
        ? 'buildRouter: the template has no AWS::ApiGateway::RestApi'
        : `buildRouter: the template has ${apis.length} RestApis (${apis.join(', ')}): pass restApiLogicalId`,
    );
  }
  const api = resources[apiId]!;
  const binaryMediaTypes = Array.isArray(api.Properties?.BinaryMediaTypes)
    ? (api.Properties!.BinaryMediaTypes as unknown[]).filter((x): x is string => typeof x === 'string').map((s) => s.replace('~1', '/'))
    : [];
  const belongs = (props: Record<string, unknown> | undefined) => refOf(props?.RestApiId) === apiId;
  const isRoot = (v: unknown) => isGetAtt(v, 'RootResourceId') && getAttTarget(v) === apiId;

  // Resource tree.
  const root = newNode('/');
  const nodes = new Map<string, Node>();
  const resolving = new Set<string>();
  const nodeOf = (ref: unknown, from: string): Node => {
    if (isRoot(ref)) return root;
    const id = refOf(ref);
    if (!id) throw new Error(`buildRouter: ${from}: ParentId/ResourceId is neither a Ref nor the RestApi's RootResourceId`);
    const existing = nodes.get(id);
    if (existing) return existing;
    const r = resources[id];
    if (r?.Type !== 'AWS::ApiGateway::Resource' || !belongs(r.Properties)) {
      throw new Error(`buildRouter: ${from}: ${id} is not an AWS::ApiGateway::Resource of ${apiId}`);
    }
    if (resolving.has(id)) throw new Error(`buildRouter: resource ${id} is its own ancestor`);
    resolving.add(id);
    const parent = nodeOf(r.Properties!.ParentId, id);
    const part = r.Properties!.PathPart;
    if (typeof part !== 'string' || !part) throw new Error(`buildRouter: resource ${id}: PathPart must be a string`);
    const path = `${parent.resourcePath === '/' ? '' : parent.resourcePath}/${part}`;
    let node: Node;
    const greedy = /^\{([^{}]+)\+\}$/.exec(part);
    const param = /^\{([^{}+]+)\}$/.exec(part);
    if (greedy) {
      if (parent.greedy && parent.greedy.name !== greedy[1])
        throw new Error(`buildRouter: two greedy children under ${parent.resourcePath}`);
      parent.greedy ??= { name: greedy[1]!, node: newNode(path) };
      node = parent.greedy.node;
    } else if (param) {
      if (parent.param && parent.param.name !== param[1]) {
        throw new Error(
          `buildRouter: ${parent.resourcePath} has two path parameters as children ({${parent.param.name}} and {${param[1]}}); ` +
            'API Gateway rejects that too',
        );
      }
      parent.param ??= { name: param[1]!, node: newNode(path) };
      node = parent.param.node;
    } else {
      if (!parent.literal.has(part)) parent.literal.set(part, newNode(path));
      node = parent.literal.get(part)!;
    }
    resolving.delete(id);
    nodes.set(id, node);
    return node;
  };
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::ApiGateway::Resource' && belongs(r.Properties)) nodeOf({ Ref: id }, id);
  }

  // Methods.
  const routes: RouteInfo[] = [];
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::ApiGateway::Method' || !belongs(r.Properties)) continue;
    const p = r.Properties!;
    const httpMethod = String(p.HttpMethod ?? '').toUpperCase();
    if (!httpMethod) throw new Error(`buildRouter: method ${id} has no HttpMethod`);
    const node = nodeOf(p.ResourceId, id);
    const target = integrationTarget(id, p, resources);
    if (node.methods.has(httpMethod)) throw new Error(`buildRouter: two ${httpMethod} methods on ${node.resourcePath}`);
    node.methods.set(httpMethod, { logicalId: id, httpMethod, target });
    routes.push({
      httpMethod,
      resourcePath: node.resourcePath,
      kind: target.kind,
      target: target.kind === 'lambda' ? target.functionLogicalId : String(target.statusCode),
    });
  }
  routes.sort((a, b) => a.resourcePath.localeCompare(b.resourcePath) || a.httpMethod.localeCompare(b.httpMethod));

  const methodOf = (node: Node, method: string) => node.methods.get(method) ?? node.methods.get('ANY');

  /** Depth-first with backtracking: a literal child first, then {param}, then {greedy+}. */
  const walk = (
    node: Node,
    segs: string[],
    i: number,
    method: string,
    params: Record<string, string>,
  ): { node: Node; entry: MethodEntry; params: Record<string, string> } | undefined => {
    if (i === segs.length) {
      const entry = methodOf(node, method);
      return entry ? { node, entry, params } : undefined;
    }
    const seg = segs[i]!;
    const lit = node.literal.get(safeDecode(seg));
    if (lit) {
      const found = walk(lit, segs, i + 1, method, params);
      if (found) return found;
    }
    if (node.param) {
      const found = walk(node.param.node, segs, i + 1, method, { ...params, [node.param.name]: safeDecode(seg) });
      if (found) return found;
    }
    if (node.greedy) {
      const entry = methodOf(node.greedy.node, method);
      if (entry) {
        return { node: node.greedy.node, entry, params: { ...params, [node.greedy.name]: safeDecode(segs.slice(i).join('/')) } };
      }
    }
    return undefined;
  };

  return {
    restApiLogicalId: apiId,
    binaryMediaTypes,
    routes,
    match(method, path) {
      const pathname = path.split('?')[0]!.split('#')[0]!;
      const segs = pathname.split('/').filter((s) => s !== '');
      const found = walk(root, segs, 0, method.toUpperCase(), {});
      if (!found) return undefined;
      const common = {
        resourcePath: found.node.resourcePath,
        pathParameters: found.params,
        methodHttpMethod: found.entry.httpMethod,
        methodLogicalId: found.entry.logicalId,
      };
      const t = found.entry.target;
      return t.kind === 'lambda'
        ? { kind: 'lambda', functionLogicalId: t.functionLogicalId, authorizationType: t.authorizationType, ...common }
        : { kind: 'mock', statusCode: t.statusCode, body: t.body, headers: { ...t.headers }, ...common };
    },
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
