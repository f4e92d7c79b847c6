import assert, { AssertionError } from 'node:assert/strict';
import type { Capability } from '../contract/capabilities.js';
import { Deadlines, StoreTimeoutError } from '../contract/deadlines.js';
import { InvalidLockOptionsError } from '../contract/errors.js';
import type { LockBackend } from '../contract/lock-backend.js';
import type { LockManager } from '../manager/lock-manager.js';
import type { LockManagerOptions } from '../manager/lock-options.js';
import { interceptBackend } from './intercept-backend.js';

/** What a case gets: fresh backends on the store under test, and managers over them. */
export interface ConformanceContext {
  /** This case's key prefix (unique per run of the case). */
  readonly keyPrefix: string;
  /** A new backend on the store, as another process would open one; closed after the case. */
  backend(): Promise<LockBackend>;
  /** A manager on a new backend (or on `options.backend`), with this case's key prefix. */
  manager(options?: Partial<LockManagerOptions>): Promise<LockManager>;
}

/** A case before it is bound to a backend factory. */
export interface ConformanceCaseDefinition {
  readonly name: string;
  readonly timeoutMs?: number;
  run(context: ConformanceContext): Promise<void>;
}

/** A backend that counts the acquire attempts it forwards; closing it leaves `backend` open. */
export function countingAcquires(backend: LockBackend): LockBackend & { attempts: number } {
  const counted = interceptBackend(backend, (call, proceed) => {
    if (call.method === 'close') return Promise.resolve();
    if (call.method === 'acquire') counted.attempts++;
    return proceed();
  }) as LockBackend & { attempts: number };
  counted.attempts = 0;
  return counted;
}

/**
 * A case about a capability the backend may not offer: run where it is offered; elsewhere the
 * case checks instead that the manager refuses the shape with `InvalidLockOptionsError`, before
 * it reaches the store.
 */
export function withFeature(
  feature: Capability,
  refused: (locks: LockManager) => Promise<unknown>,
  run: (context: ConformanceContext) => Promise<void>,
): (context: ConformanceContext) => Promise<void> {
  return async (context) => {
    const backend = await context.backend();
    if (backend[feature]) return run(context);
    const locks = await context.manager();
    await assert.rejects(refused(locks), InvalidLockOptionsError);
  };
}

/** Real-time sleep (cases run against real stores). */
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Bounds the cases' waits for a signal. It keeps the process alive meanwhile, as the lease timers
 * it waits on may not (a memory backend's are unref'd).
 */
const caseDeadlines = new Deadlines({ keepsProcessAlive: true });

/** Resolves with the signal's reason when it aborts; rejects after `limitMs` (a generous bound). */
export function aborted(signal: AbortSignal, limitMs: number): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  const reason = new Promise<unknown>((resolve) => {
    signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
  return caseDeadlines.bound(reason, limitMs).catch((error: unknown) => {
    if (!(error instanceof StoreTimeoutError)) throw error;
    throw new AssertionError({ message: `the lock's signal did not abort within ${limitMs} ms` });
  });
}
