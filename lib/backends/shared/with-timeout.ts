/** Where the backends import `withTimeout` from; it is a `Deadlines.bound` (contract/deadlines.ts). */
export { StoreTimeoutError, withTimeout } from '../../contract/deadlines.js';
