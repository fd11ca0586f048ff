export {
  LocalFaults,
  type ArmedFault,
  type FaultCaller,
  type FaultHit,
  type FaultKind,
  type FaultService,
  type FaultSpec,
} from './registry';
export { faultyAwsEndpoint, faultyDynamoDb, faultySnsPublish } from './inject';
