import { AsyncLocalStorage } from 'node:async_hooks';
import type { Lock } from './lock.js';
import type { HoldFrame } from './lock-holds.js';

const storage = new AsyncLocalStorage<HoldFrame>();

/** The innermost hold of the current call chain, whatever its lock. */
export function currentFrame(): HoldFrame | undefined {
  return storage.getStore();
}

/** Runs `fn(frame.lock)` inside `frame`: {@link currentLock} finds it, nested calls see the frame. */
export function runInFrame<T>(frame: HoldFrame, fn: (lock: Lock) => T): T {
  return storage.run(frame, fn, frame.lock);
}

/**
 * The innermost frame of the current call chain that holds the lock of `scope` on `scopeKey`, if
 * that lock is still held: a nested `using` of the same keys re-enters it instead of waiting for
 * itself.
 */
export function findHeldFrame(scope: object, scopeKey: string): HoldFrame | undefined {
  for (let frame = storage.getStore(); frame; frame = frame.parent) {
    if (frame.scope === scope && frame.scopeKey === scopeKey && frame.lock.isHeld()) return frame;
  }
  return undefined;
}

/**
 * The innermost lock held by the current call chain: inside `using(key, fn)`, inside a
 * `@Locked()` method or a `@SingletonCron()` job. `undefined` outside of one.
 *
 * @example
 * ```ts
 * @Locked('stock:{0}')
 * async reserve(sku: string, qty: number) {
 *   const { fencingToken } = currentLock()!;
 *   await this.db.query('UPDATE stock SET qty = qty - $2, fence = $3 WHERE sku = $1 AND fence < $3',
 *     [sku, qty, fencingToken]);
 * }
 * ```
 */
export function currentLock(): Lock | undefined {
  return storage.getStore()?.lock;
}
