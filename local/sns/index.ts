/** Local mode's SNS: the in-process service, its filter policies and its awsQuery HTTP endpoint. */
export { createSnsEndpoint } from './endpoint';
export { SnsError } from './errors';
export { attributesForFiltering, matchesFilterPolicy } from './filter-policy';
export { LocalSns } from './local-sns';
export type { SnsSubscription } from './types';
