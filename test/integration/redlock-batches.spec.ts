import { afterEach, describe, expect, it } from '@jest/globals';
import { LockBackendError, RedlockLockBackend } from '../../lib/index.js';
import { uniqueId } from '../support/async.js';
import { REDLOCK_URLS } from '../support/servers.js';

describe('RedlockLockBackend extend batches, lease by lease', () => {
  const backends: RedlockLockBackend[] = [];
  afterEach(async () => {
    await Promise.all(backends.splice(0).map((backend) => backend.close()));
  });

  it('answers a lease that cannot be extended in time with its own error and extends the others', async () => {
    const backend = new RedlockLockBackend({ nodes: REDLOCK_URLS, onWarning: false });
    backends.push(backend);
    const prefix = `rl-batch:${uniqueId()}:`;
    const [short, long] = [`${prefix}short`, `${prefix}long`];
    for (const key of [short, long]) {
      expect(await backend.acquire(key, `owner-${key}`, 30_000)).toMatchObject({ acquired: true });
    }
    // A 2 ms ttl leaves no validity after the clock drift allowance: that lease can never be
    // extended in time, whatever the nodes answer. The other lease must not pay for it. The round's
    // deadline is the short lease's, so on a loaded machine a round may end before the nodes
    // answered the long lease too: a few tries, each of which must still answer lease by lease.
    let extendedLong = false;
    for (let attempt = 0; attempt < 10 && !extendedLong; attempt++) {
      const results = await backend.extend([
        { key: short, owner: `owner-${short}`, ttlMs: 2 },
        { key: long, owner: `owner-${long}`, ttlMs: 60_000 },
      ]);
      expect(results[0]).toBeInstanceOf(LockBackendError);
      extendedLong = typeof results[1] === 'number';
      if (!extendedLong) expect(results[1]).toBeInstanceOf(LockBackendError);
    }
    expect(extendedLong).toBe(true);
  });
});
