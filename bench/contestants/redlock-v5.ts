import type { Redis } from 'ioredis';
import type { HeldLock, LockAdapter } from './lock-adapter.js';

/** The part of redlock 5's API (and its fork's) the scenarios use. */
export interface RedlockV5Like {
  acquire(resources: string[], duration: number): Promise<{ release(): Promise<unknown> }>;
  using<T>(resources: string[], duration: number, routine: () => Promise<T>): Promise<T>;
}

/**
 * A redlock 5 style client (redlock 5.0.0-beta.2 and its maintained fork
 * @sesamecare-oss/redlock): `acquire([key], ttl)` then `release()`; `using()` for a lock renewed
 * in the background (one timer per lock, extending 500 ms before expiry).
 */
export function redlockV5(
  name: string,
  constructorCall: string,
  create: (clients: Redis[], settings: { retryCount: number }) => RedlockV5Like,
  clients: readonly Redis[],
): LockAdapter {
  const client = create([...clients], { retryCount: -1 });
  return {
    name,
    description: `\`${constructorCall}(clients, { retryCount: -1 })\`, \`acquire([key], ttl)\`, \`release()\`; \`using()\` to hold a renewed lock; otherwise defaults: retries every 200 ± 100 ms while taken, extends 500 ms before expiry.`,
    async acquire(key, ttlMs): Promise<HeldLock> {
      const lock = await client.acquire([key], ttlMs);
      return {
        async release() {
          await lock.release();
        },
      };
    },
    hold(key, ttlMs): Promise<HeldLock> {
      return new Promise<HeldLock>((acquired, failed) => {
        let done!: () => void;
        const routineDone = new Promise<void>((resolve) => {
          done = resolve;
        });
        const finished = client.using([key], ttlMs, async () => {
          acquired({
            async release() {
              done();
              await finished;
            },
          });
          await routineDone;
        });
        finished.catch(failed);
      });
    },
    async close() {},
  };
}
