export {
  type BackendConformanceOptions,
  backendConformance,
  type ConformanceCase,
} from './backend-conformance.js';
export type { ConformanceContext } from './conformance-support.js';
export {
  type AroundBackendCall,
  type BackendCall,
  interceptBackend,
} from './intercept-backend.js';
export {
  LockTestbed,
  type LockTestbedOptions,
  type OverridableTestingModule,
} from './lock-testbed.js';
export { ManualClock } from './manual-clock.js';
