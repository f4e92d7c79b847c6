/** Where the backends import the one timeout mechanism from; it lives in contract/deadlines.ts. */
export { Deadlines, type DeadlinesOptions, type Timed } from '../../contract/deadlines.js';
