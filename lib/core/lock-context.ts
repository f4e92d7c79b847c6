import { AsyncLocalStorage } from 'node:async_hooks';
import type { Lock } from './lock.js';

/** One lock held by the current call chain, innermost first. */
interface HeldFrame {
  readonly scope: object;
  readonly storeKey: string;
  readonly lock: Lock;
  readonly parent: HeldFrame | undefined;
}

const storage = new AsyncLocalStorage<HeldFrame>();

/**
 * Runs `fn` with `lock` recorded as held by the current call chain of `scope` (a manager), so that
 * {@link currentLock} finds it and a nested `using` of the same key re-enters instead of waiting
 * for itself.
 */
export function runHolding<T>(scope: object, storeKey: string, lock: Lock, fn: () => T): T {
  return storage.run({ scope, storeKey, lock, parent: storage.getStore() }, fn);
}

/** The lock on `storeKey` that `scope` holds in the current call chain, if it is still held. */
export function findHeld(scope: object, storeKey: string): Lock | undefined {
  for (let frame = storage.getStore(); frame; frame = frame.parent) {
    if (frame.scope === scope && frame.storeKey === storeKey && frame.lock.isHeld()) {
      return frame.lock;
    }
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
