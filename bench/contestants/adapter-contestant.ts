import type { Contestant } from '../measure.js';
import type { LockAdapter } from './lock-adapter.js';

/**
 * A lock adapter as an uncontended contestant: each worker acquires and releases a key of its own
 * (`<prefix>:<worker>`), so no acquire ever waits. One op = one acquire + one release.
 */
export function uncontendedContestant(
  adapter: LockAdapter,
  keyPrefix: string,
  ttlMs: number,
): Contestant {
  const keys = new Map<number, string>();
  const keyOf = (worker: number): string => {
    let key = keys.get(worker);
    if (key === undefined) {
      key = `${keyPrefix}:${worker}`;
      keys.set(worker, key);
    }
    return key;
  };
  return {
    name: adapter.name,
    description: adapter.description,
    async op(worker) {
      const lock = await adapter.acquire(keyOf(worker), ttlMs);
      await lock.release();
    },
  };
}
