import type { LockBackend } from '../contract/lock-backend.js';
import { LockManager } from '../manager/lock-manager.js';
import { deadlockCases } from './conformance-deadlock.cases.js';
import { directoryCases } from './conformance-directory.cases.js';
import { eventCases } from './conformance-events.cases.js';
import { exclusionCases } from './conformance-exclusion.cases.js';
import { fairCases } from './conformance-fair.cases.js';
import { leaseCases } from './conformance-leases.cases.js';
import { multiKeyCases } from './conformance-multikey.cases.js';
import { readWriteCases } from './conformance-read-write.cases.js';
import { readWriteQueueCases } from './conformance-read-write-queue.cases.js';
import { reentryCases } from './conformance-reentry.cases.js';
import { resultCases } from './conformance-results.cases.js';
import { semaphoreCases } from './conformance-semaphore.cases.js';
import { shareCases } from './conformance-share.cases.js';
import type { ConformanceCaseDefinition, ConformanceContext } from './conformance-support.js';
import { waitGraphCases } from './conformance-wait-graph.cases.js';

/** One conformance check: run it from any test runner; it rejects with an `AssertionError` on failure. */
export interface ConformanceCase {
  /** What the backend must do, as a sentence: a test name. */
  readonly name: string;
  /** A generous timeout for the case, in ms, for runners that need one (most take seconds). */
  readonly timeoutMs: number;
  /** Runs the case, opening and closing its own backends. */
  run(): Promise<void>;
}

/** Options of {@link backendConformance}. */
export interface BackendConformanceOptions {
  /**
   * Prepended to every key the cases use (each case adds a unique part, so cases and runs never
   * share keys). Default `'conformance:'`.
   */
  keyPrefix?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The backend contract as runner-agnostic test cases: the suite every backend of this package
 * passes, for your own `LockBackend` or to check a store you deploy on. Each case calls
 * `createBackend` for every backend it needs (several per case: contenders are separate backends on
 * the same store, as separate processes would be), and closes each one it got exactly once.
 * Cases use `node:assert`, so jest, vitest, mocha and `node:test` all run them. Cases of fair
 * locks, semaphores, multi-key locks and read-write locks check, on a backend that does not expose
 * their capability (`backend.fair`, `backend.semaphore`, `backend.multiKey`, `backend.readWrite`),
 * that the manager refuses them instead.
 *
 * @example
 * ```ts
 * import { backendConformance } from 'nestjs-locker/testing';
 *
 * describe('MyLockBackend', () => {
 *   for (const check of backendConformance(() => new MyLockBackend({ url }))) {
 *     it(check.name, () => check.run(), check.timeoutMs);
 *   }
 * });
 * ```
 */
export function backendConformance(
  createBackend: () => LockBackend | Promise<LockBackend>,
  options: BackendConformanceOptions = {},
): ConformanceCase[] {
  const prefix = options.keyPrefix ?? 'conformance:';
  return [
    ...exclusionCases,
    ...leaseCases,
    ...reentryCases,
    ...eventCases,
    ...fairCases,
    ...semaphoreCases,
    ...multiKeyCases,
    ...readWriteCases,
    ...readWriteQueueCases,
    ...waitGraphCases,
    ...deadlockCases,
    ...resultCases,
    ...shareCases,
    ...directoryCases,
  ].map((definition) => ({
    name: definition.name,
    timeoutMs: definition.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    run: () => runCase(definition, createBackend, `${prefix}${uniqueId()}:`),
  }));
}

async function runCase(
  definition: ConformanceCaseDefinition,
  createBackend: () => LockBackend | Promise<LockBackend>,
  keyPrefix: string,
): Promise<void> {
  const backends: LockBackend[] = [];
  const managers: LockManager[] = [];
  const context: ConformanceContext = {
    keyPrefix,
    backend: async () => {
      const backend = await createBackend();
      backends.push(backend);
      return backend;
    },
    manager: async (options = {}) => {
      // A manager closes its backend itself, so a backend made here is not in `backends`.
      const manager = new LockManager({
        backend: options.backend ?? (await createBackend()),
        keyPrefix,
        ...options,
      });
      managers.push(manager);
      return manager;
    },
  };
  try {
    await definition.run(context);
  } finally {
    await Promise.all(managers.map((manager) => manager.close().catch(() => undefined)));
    await Promise.all(backends.map((backend) => backend.close().catch(() => undefined)));
  }
}

function uniqueId(): string {
  return `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
