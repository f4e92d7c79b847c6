import type { LockBackend } from '../../lib/index.js';

/**
 * One store under test. Every backend under test provides one of these (see `targets.ts`); the
 * suite in `backend-conformance.ts` is the executable definition of the backend contract.
 */
export interface ConformanceStore {
  /** A backend on the shared store. Each call may open its own connection, as another process would. */
  open(): LockBackend;
  /** Closes what `open` opened. */
  close(): Promise<void>;
}

export interface ConformanceTarget {
  readonly name: string;
  createStore(): ConformanceStore;
}
