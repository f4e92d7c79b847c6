import { afterAll, describe, expect, it } from '@jest/globals';
import { LockManager, PostgresLockBackend } from '../../lib/index.js';
import { uniqueId } from '../support/async.js';
import { PG_URL } from '../support/servers.js';

describe('PostgresLockBackend misses under contention', () => {
  const keyPrefix = `retry-after:${uniqueId()}:`;
  const managers = Array.from(
    { length: 4 },
    () =>
      new LockManager({
        backend: new PostgresLockBackend({ connectionString: PG_URL }),
        keyPrefix,
      }),
  );
  const busy: (number | undefined)[] = [];
  for (const locks of managers) locks.on('busy', (event) => busy.push(event.retryAfterMs));
  afterAll(() => Promise.all(managers.map((manager) => manager.close())));

  it("says how long the winner's lease lasts to every loser, also on a key taken at that moment", async () => {
    for (let round = 0; round < 5; round++) {
      const key = `contended:${round}`;
      busy.length = 0;
      const attempts = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          managers[i % managers.length]!.tryAcquire(key, { ttl: 5_000 }),
        ),
      );
      const won = attempts.filter((lock) => lock !== null);
      expect(won).toHaveLength(1);
      expect(busy).toHaveLength(11);
      for (const ms of busy) {
        // Not unknown, nor 0 ("retry now"): the winner holds it for up to 5 s.
        expect(ms).toBeGreaterThan(0);
        expect(ms).toBeLessThanOrEqual(5_000);
      }
      await won[0]!.release();
    }
  });
});
