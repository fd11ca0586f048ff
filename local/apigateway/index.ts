/** Local mode's API Gateway: the template's RestApi as a router, and the proxy event and result codec. */
export { toProxyEvent } from './proxy-event';
export { proxyIntegrationFailure, writeMockResponse, writeProxyResult } from './proxy-result';
export { buildRouter, type LambdaRouteMatch, type MockRouteMatch, type Router } from './router';
export type { CfnTemplate } from './template-refs';
