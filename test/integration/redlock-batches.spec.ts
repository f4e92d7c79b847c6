import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { LockBackendError, RedlockLockBackend } from '../../lib/index.js';
import { uniqueId } from '../support/async.js';
import { TestRedisServer } from '../support/redis-server.js';
import { REDLOCK_URLS, testPort } from '../support/servers.js';

/** Five nodes of this suite's own: it pauses writes on some, which the shared ones must not see. */
const OWN_NODES = [6465, 6466, 6467, 6468, 6469]
  .map(testPort)
  .map((port) => new TestRedisServer(port));

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
    // extended in time, whatever the nodes answer. The other lease must not pay for it, neither
    // by a rejection of the whole call nor by a round cut short to the short lease's validity.
    const before = Date.now();
    for (let attempt = 0; attempt < 5; attempt++) {
      // The nodes that did extend it gave it those 2 ms: take it again for the next try.
      await backend.acquire(short, `owner-${short}`, 30_000);
      const results = await backend.extend([
        { key: short, owner: `owner-${short}`, ttlMs: 2 },
        { key: long, owner: `owner-${long}`, ttlMs: 60_000 },
      ]);
      expect(results[0]).toBeInstanceOf(LockBackendError);
      expect(results[1]).toBeGreaterThan(before + 45_000);
    }
  });

  describe('with writes paused on a majority of the nodes', () => {
    beforeAll(() => {
      for (const node of OWN_NODES) node.start();
    });
    afterAll(() => {
      for (const node of OWN_NODES) node.stop();
    });

    it('waits for the answers a long lease may wait for, even beside a short lease in the same batch', async () => {
      const backend = new RedlockLockBackend({
        nodes: OWN_NODES.map((node) => node.url),
        onWarning: false,
        commandTimeoutMs: 3_000,
      });
      backends.push(backend);
      const prefix = `rl-round:${uniqueId()}:`;
      const [short, long] = [`${prefix}short`, `${prefix}long`];
      for (const key of [short, long]) {
        expect(await backend.acquire(key, `owner-${key}`, 30_000)).toMatchObject({
          acquired: true,
        });
      }
      // Three of five nodes answer scripts only after ~300 ms: a majority answers then. The short
      // lease (60 ms ttl, about 58 ms of validity) cannot wait that long; the long one can.
      const admins = OWN_NODES.slice(0, 3).map((node) => new Redis(node.url));
      try {
        await Promise.all(admins.map((admin) => admin.call('CLIENT', 'PAUSE', 300, 'WRITE')));
        const before = Date.now();
        const results = await backend.extend([
          { key: short, owner: `owner-${short}`, ttlMs: 60 },
          { key: long, owner: `owner-${long}`, ttlMs: 60_000 },
        ]);
        expect(results[0]).toBeInstanceOf(LockBackendError);
        expect(results[1]).toBeGreaterThan(before + 45_000);
      } finally {
        await Promise.all(admins.map((admin) => admin.quit()));
      }
    });
  });
});
