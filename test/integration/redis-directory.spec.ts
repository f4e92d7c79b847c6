import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import { hashSlot } from '../../lib/backends/redis/cluster-slot.js';
import { instanceKeysOf, lockKeyPattern } from '../../lib/backends/redis/redis-keys.js';
import { LockManager, RedisLockBackend, RedlockLockBackend } from '../../lib/index.js';
import { uniqueId } from '../support/async.js';
import { CLUSTER_PORT, REDIS_URL, REDLOCK_URLS } from '../support/servers.js';

/**
 * What the conformance cases of the directory do not reach: a Cluster's keys spread over its
 * masters, a Redlock lease left on a minority of nodes, and a prefix with glob characters in it.
 */
describe('the Redis directories', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  const later = <T extends { close(): Promise<unknown> } | { quit(): Promise<unknown> }>(
    closeable: T,
  ): T => {
    cleanups.push(() => ('close' in closeable ? closeable.close() : closeable.quit()));
    return closeable;
  };

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  describe('RedisLockBackend on a Redis Cluster', () => {
    it('lists together the leases of keys on every master', async () => {
      const client = later(new Cluster([{ host: '127.0.0.1', port: CLUSTER_PORT }]));
      const backend = later(new RedisLockBackend({ client, onWarning: false }));
      const prefix = `dir:${uniqueId()}:`;
      const locks = later(new LockManager({ backend, keyPrefix: prefix }));
      const names = Array.from({ length: 30 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      const held = await Promise.all(names.map((name) => locks.acquire(name, { ttl: 10_000 })));
      held.push(await locks.acquire('pool', { permits: 2, ttl: 10_000 }));
      held.push(await locks.acquire('doc', { mode: 'read', ttl: 10_000 }));

      // The keys are spread over all three masters.
      const slots = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const portOf = (key: string): number => {
        const slot = hashSlot(`{${prefix}${key}}`);
        return slots.find(([from, to]) => slot >= from && slot <= to)![2][1];
      };
      expect(new Set(names.map(portOf)).size).toBe(3);

      const listing = await backend.directory!.list(prefix, 1_000);
      expect(listing.truncated).toBe(false);
      expect(listing.leases.map((lease) => [lease.key, lease.fencingToken, lease.kind])).toEqual(
        held
          .map((lock) => [
            `${prefix}${lock.key}`,
            lock.fencingToken,
            lock.key === 'pool' ? 'permit' : lock.key === 'doc' ? 'read' : 'mutex',
          ])
          .sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1)),
      );
    });

    it('keeps the instance records of a prefix in one slot, whatever the prefix', async () => {
      for (const prefix of ['', 'a}b{', `{dir:${uniqueId()}}`]) {
        const [records, expiries] = instanceKeysOf(prefix);
        expect(hashSlot(records)).toBe(hashSlot(expiries));
        expect(records.startsWith('{')).toBe(false);
      }
      const client = later(new Cluster([{ host: '127.0.0.1', port: CLUSTER_PORT }]));
      const backend = later(new RedisLockBackend({ client, onWarning: false }));
      const prefix = `dir:${uniqueId()}}{:`;
      await backend.directory!.announce(prefix, 'one', '{"n":1}', 10_000);
      const { instances } = await backend.directory!.instances(prefix);
      expect(instances.map((record) => [record.id, record.payload])).toEqual([['one', '{"n":1}']]);
    });
  });

  describe('RedisLockBackend on one server', () => {
    it('lists under a prefix with glob characters only the keys that start with it', async () => {
      const backend = later(new RedisLockBackend({ url: REDIS_URL, onWarning: false }));
      const base = `dir:${uniqueId()}:`;
      const prefix = `${base}a*[b]\\?`;
      for (const key of [
        `${prefix}`,
        `${prefix}x`,
        `${base}aZbX`,
        `${base}a*b]\\?x`,
        `${base}ab]\\?`,
        `${base}a*[b]\\`,
        `${base}a*[b]\\Q`,
      ]) {
        expect((await backend.acquire(key, 'owner', 10_000)).acquired).toBe(true);
      }
      const listing = await backend.directory!.list(prefix, 100);
      expect(listing.leases.map((lease) => lease.key)).toEqual([prefix, `${prefix}x`]);
      // The server itself matches only them (and the keys beside them): the glob is escaped.
      const redis = later(new Redis(REDIS_URL));
      const matched: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(
          cursor,
          'MATCH',
          lockKeyPattern(prefix),
          'COUNT',
          1000,
        );
        matched.push(...keys);
        cursor = next;
      } while (cursor !== '0');
      expect(matched.filter((key) => !key.startsWith(`{${prefix}`))).toEqual([]);
      expect(matched).toContain(`{${prefix}x}`);
    });

    it('leaves out the keys beside a lock (fence, queues, results) and keys of other shapes', async () => {
      const backend = later(new RedisLockBackend({ url: REDIS_URL, onWarning: false }));
      const redis = later(new Redis(REDIS_URL));
      const prefix = `dir:${uniqueId()}:`;
      const locks = later(new LockManager({ backend, keyPrefix: prefix }));
      const held = await locks.acquire('job', { ttl: 10_000 });
      await held.release();
      // The fence key outlives the release; a stranger's keys that look like lock keys stay out.
      await redis.set(`{${prefix}job}:fence`, '1', 'PX', 10_000);
      await redis.set(`{${prefix}notours}`, 'no token here', 'PX', 10_000);
      await redis.hset(`{${prefix}hash}`, 'a', '1');
      await redis.pexpire(`{${prefix}hash}`, 10_000);
      const fair = await locks.acquire('fair', { fair: true, ttl: 10_000 });
      const listing = await backend.directory!.list(prefix, 100);
      expect(listing.leases.map((lease) => [lease.key, lease.fencingToken])).toEqual([
        [`${prefix}fair`, fair.fencingToken],
      ]);
    });
  });

  describe('RedlockLockBackend', () => {
    const nodes = (): Redis[] => REDLOCK_URLS.map((url) => later(new Redis(url)));

    it('lists a lease held on a majority of the nodes, and not one left on a minority', async () => {
      const backend = later(new RedlockLockBackend({ nodes: REDLOCK_URLS, onWarning: false }));
      const [a, b, c, d, e] = nodes();
      const prefix = `dir:${uniqueId()}:`;
      // On three of five nodes (a majority): tokens 5, 7, 6; one of them runs out sooner.
      await a!.set(`{${prefix}major}`, '5:owner-m', 'PX', 20_000);
      await b!.set(`{${prefix}major}`, '7:owner-m', 'PX', 20_000);
      await c!.set(`{${prefix}major}`, '6:owner-m', 'PX', 8_000);
      // On two of five (a minority), and split between two owners.
      await d!.set(`{${prefix}minor}`, '9:owner-x', 'PX', 20_000);
      await e!.set(`{${prefix}minor}`, '9:owner-x', 'PX', 20_000);
      await a!.set(`{${prefix}split}`, '3:owner-p', 'PX', 20_000);
      await b!.set(`{${prefix}split}`, '3:owner-p', 'PX', 20_000);
      await c!.set(`{${prefix}split}`, '4:owner-q', 'PX', 20_000);
      await d!.set(`{${prefix}split}`, '4:owner-q', 'PX', 20_000);

      const listing = await backend.directory!.list(prefix, 100);
      expect(listing.leases.map((lease) => [lease.key, lease.owner, lease.fencingToken])).toEqual([
        [`${prefix}major`, 'owner-m', 7n],
      ]);
      // It stops being held by a majority when the shortest of the three runs out.
      const left = listing.leases[0]!.expiresAt - listing.now;
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(8_000);
    });

    it('lists a lease it took, and reads an instance record only where a majority keeps it', async () => {
      const backend = later(new RedlockLockBackend({ nodes: REDLOCK_URLS, onWarning: false }));
      const [a, b] = nodes();
      const prefix = `dir:${uniqueId()}:`;
      const taken = await backend.acquire(`${prefix}mine`, 'owner-1', 10_000);
      const listed = await backend.directory!.list(prefix, 100);
      expect(listed.leases.map((lease) => [lease.key, lease.fencingToken])).toEqual([
        [`${prefix}mine`, taken.acquired ? taken.fencingToken : undefined],
      ]);

      await backend.directory!.announce(prefix, 'everywhere', '{"v":1}', 10_000);
      // A record written to two nodes only (a minority), as by an announce that failed.
      const [records, expiries] = instanceKeysOf(prefix);
      for (const node of [a!, b!]) {
        const now = Number((await node.time())[0]) * 1000;
        await node.hset(records, 'minority', '1:{}');
        await node.zadd(expiries, now + 10_000, 'minority');
      }
      const { instances } = await backend.directory!.instances(prefix);
      expect(instances.map((record) => [record.id, record.payload])).toEqual([
        ['everywhere', '{"v":1}'],
      ]);
    });
  });
});
