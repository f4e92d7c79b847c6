import { AssertionError } from 'node:assert/strict';
import type { LockBackend } from '../backends/lock-backend.js';
import type { LockManager } from '../core/lock-manager.js';
import type { LockManagerOptions } from '../core/lock-options.js';

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
  const counted: LockBackend & { attempts: number } = {
    attempts: 0,
    name: backend.name,
    acquire: (key, owner, ttlMs) => {
      counted.attempts++;
      return backend.acquire(key, owner, ttlMs);
    },
    extend: (leases) => backend.extend(leases),
    release: (key, owner) => backend.release(key, owner),
    inspect: (key) => backend.inspect(key),
    ...(backend.subscribe
      ? { subscribe: (key: string, onRelease: () => void) => backend.subscribe!(key, onRelease) }
      : {}),
    close: async () => {},
  };
  return counted;
}

/** Real-time sleep (cases run against real stores). */
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the signal's reason when it aborts; rejects after `limitMs` (a generous bound). */
export function aborted(signal: AbortSignal, limitMs: number): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new AssertionError({ message: `the lock's signal did not abort within ${limitMs} ms` }),
        ),
      limitMs,
    );
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve(signal.reason);
      },
      { once: true },
    );
  });
}
