import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { Etcd3 } from 'etcd3';
import {
  EtcdLockBackend,
  type EtcdLockBackendOptions,
  InvalidLockOptionsError,
  LockBackendError,
  LockLostError,
  LockManager,
} from '../../lib/index.js';
import { aborted, eventually, sleep, uniqueId } from '../support/async.js';
import { ETCD_URL, testPort } from '../support/servers.js';

/** Nothing listens here: connections are refused at once. */
const DEAD_URL = `http://127.0.0.1:${testPort(6496)}`;

describe('EtcdLockBackend', () => {
  const admin = new Etcd3({ hosts: ETCD_URL });
  const cleanups: (() => Promise<unknown>)[] = [];
  const backend = (options: Partial<EtcdLockBackendOptions> = {}): EtcdLockBackend => {
    const created = new EtcdLockBackend({
      endpoints: ETCD_URL,
      ...options,
    } as EtcdLockBackendOptions);
    cleanups.push(() => created.close());
    return created;
  };
  const managerOn = (store: EtcdLockBackend, keyPrefix = `etcd:${uniqueId()}:`): LockManager => {
    const manager = new LockManager({ backend: store, keyPrefix });
    cleanups.push(() => manager.close());
    return manager;
  };
  /** The record of `owner` for `key` as the backend stores it, read with a client of its own. */
  const recordOf = (key: string, owner: string) =>
    admin.kv.range({ key: Buffer.from(`nestjs-locker/${key}\0${owner}`) }).then((r) => r.kvs[0]);

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(() => admin.close());

  describe('options', () => {
    it.each([
      ['no options', undefined, 'options'],
      ['no endpoints', {}, 'endpoints'],
      ['an empty endpoint list', { endpoints: [] }, 'endpoints'],
      ['an endpoint without a scheme', { endpoints: 'etcd-1.internal:2379' }, 'endpoints'],
      ['an empty prefix', { endpoints: ETCD_URL, prefix: '' }, 'prefix'],
      ['a prefix with a NUL', { endpoints: ETCD_URL, prefix: 'a\0b' }, 'prefix'],
      ['a fractional timeout', { endpoints: ETCD_URL, commandTimeoutMs: 1.5 }, 'commandTimeoutMs'],
      ['a zero timeout', { endpoints: ETCD_URL, commandTimeoutMs: 0 }, 'commandTimeoutMs'],
      ['auth without a password', { endpoints: ETCD_URL, auth: { username: 'u' } }, 'auth'],
      ['credentials without a CA', { endpoints: ETCD_URL, credentials: {} }, 'credentials'],
      ['a client that is not one', { client: { kv: {} } }, 'client'],
    ])('refuses %s at construction, naming the option', (_, options, field) => {
      const build = () => new EtcdLockBackend(options as EtcdLockBackendOptions);
      expect(build).toThrow(InvalidLockOptionsError);
      try {
        build();
      } catch (error) {
        expect((error as InvalidLockOptionsError).field).toBe(field);
      }
    });

    it('works on a client passed in, and leaves it open on close', async () => {
      const client = new Etcd3({ hosts: ETCD_URL });
      const store = new EtcdLockBackend({ client, prefix: `own-${uniqueId()}/` });
      const key = `client:${uniqueId()}`;
      const result = await store.acquire(key, 'owner-1', 2_000);
      expect(result.acquired).toBe(true);
      await store.close();
      expect((await client.getAll().prefix(`own-`).keys()).length).toBeGreaterThan(0);
      await client.delete().prefix('own-');
      client.close();
    });
  });

  describe('leases', () => {
    it('rounds a ttl up to whole seconds, one lease per lock, and reports the granted ttl in expiresAt', async () => {
      const store = backend();
      const key = `round:${uniqueId()}`;
      const before = Date.now();
      const result = await store.acquire(key, 'owner-1', 1_200);
      const after = Date.now();
      if (!result.acquired) throw new Error('not acquired');
      // Granted 2 s, counted from when the grant was sent (by this process's clock).
      expect(result.expiresAt).toBeGreaterThanOrEqual(before + 2_000);
      expect(result.expiresAt).toBeLessThanOrEqual(after + 2_000);
      const record = await recordOf(key, 'owner-1');
      const lease = await admin.leaseClient.leaseTimeToLive({ ID: record!.lease });
      expect(lease.grantedTTL).toBe('2');

      const short = await store.acquire(`${key}:short`, 'owner-2', 100);
      if (!short.acquired) throw new Error('not acquired');
      const shortLease = await admin.leaseClient.leaseTimeToLive({
        ID: (await recordOf(`${key}:short`, 'owner-2'))!.lease,
      });
      expect(shortLease.grantedTTL).toBe('1');
      expect(record!.lease).not.toBe((await recordOf(`${key}:short`, 'owner-2'))!.lease);

      const [extended] = await store.extend([{ key, owner: 'owner-1', ttlMs: 1_200 }]);
      expect(typeof extended).toBe('number');
      expect(extended as number).toBeGreaterThanOrEqual(after + 2_000);
    });

    it('moves a lease asked to live longer onto a longer etcd lease, same token', async () => {
      const store = backend();
      const key = `longer:${uniqueId()}`;
      const first = await store.acquire(key, 'owner-1', 1_000);
      if (!first.acquired) throw new Error('not acquired');
      const [extended] = await store.extend([{ key, owner: 'owner-1', ttlMs: 5_000 }]);
      expect(extended as number).toBeGreaterThanOrEqual(first.expiresAt + 4_000);
      const record = await recordOf(key, 'owner-1');
      expect((await admin.leaseClient.leaseTimeToLive({ ID: record!.lease })).grantedTTL).toBe('5');
      expect((await store.inspect(key))?.fencingToken).toBe(first.fencingToken);
    });

    it('a holder whose lease is revoked from outside loses the lock, and a waiter gets in', async () => {
      const store = backend();
      const [holder, waiter] = [managerOn(store, 'revoked:'), managerOn(backend(), 'revoked:')];
      const key = uniqueId();
      const lock = await holder.acquire(key, { ttl: 3_000 });
      const waiting = waiter.acquire(key, { wait: 10_000 });
      const record = await recordOf(`revoked:${key}`, lock.owner);
      await admin.leaseClient.leaseRevoke({ ID: record!.lease });
      const next = await waiting;
      expect(next.fencingToken).toBeGreaterThan(lock.fencingToken);
      const reason = await aborted(lock.signal, 8_000);
      expect(reason).toBeInstanceOf(LockLostError);
      expect((reason as LockLostError).reason).toBe('not-held');
    });

    it('issues increasing fencing tokens across holders, releases and expiries, from several backends', async () => {
      const stores = [backend(), backend(), backend()];
      const key = `tokens:${uniqueId()}`;
      let last = 0n;
      for (let round = 0; round < 9; round++) {
        const store = stores[round % 3]!;
        const owner = `owner-${round}`;
        const result = await store.acquire(key, owner, 1_000);
        if (!result.acquired) throw new Error(`round ${round} not acquired`);
        expect(result.fencingToken).toBeGreaterThan(last);
        last = result.fencingToken;
        // A retry by the same owner: same token.
        const again = await store.acquire(key, owner, 1_000);
        expect(again.acquired && again.fencingToken).toBe(result.fencingToken);
        if (round % 3 !== 2) await store.release(key, owner);
        else await eventually(async () => (await store.inspect(key)) === null, 10_000, 50);
      }
    });
  });

  describe('wake-ups', () => {
    it('a release wakes only the next waiter of a fair queue (no herd)', async () => {
      const key = `herd:${uniqueId()}`;
      const holderStore = backend();
      const first = await holderStore.fair.acquire(key, 'holder', 10_000, {
        ticketTtlMs: 5_000,
        join: true,
      });
      expect(first.acquired).toBe(true);
      const wakes = [0, 0, 0];
      const waiters = [backend(), backend(), backend()];
      for (const [i, store] of waiters.entries()) {
        await store.subscribe(key, () => {
          wakes[i]!++;
        });
        const queued = await store.fair.acquire(key, `waiter-${i}`, 10_000, {
          ticketTtlMs: 5_000,
          join: true,
        });
        expect(queued.acquired).toBe(false);
      }
      expect(await holderStore.fair.release(key, 'holder')).toBe(true);
      await eventually(() => wakes[0] === 1, 5_000);
      const next = await waiters[0]!.fair.acquire(key, 'waiter-0', 10_000, {
        ticketTtlMs: 5_000,
        join: true,
      });
      expect(next.acquired).toBe(true);
      // The other waiters watch the record just ahead of each, which is still there.
      await sleep(300);
      expect(wakes).toEqual([1, 0, 0]);
      // Waiter 1 is woken once waiter 0 releases, waiter 2 still is not.
      await waiters[0]!.fair.release(key, 'waiter-0');
      await eventually(() => wakes[1] === 1, 5_000);
      expect(wakes[2]).toBe(0);
      for (const [i, store] of waiters.entries()) await store.fair.release(key, `waiter-${i}`);
    });
  });

  describe('failures', () => {
    it('fails with a LockBackendError naming the gRPC status when no member answers', async () => {
      const store = backend({ endpoints: DEAD_URL, commandTimeoutMs: 1_000 });
      const error = await store.acquire(`dead:${uniqueId()}`, 'owner', 1_000).catch((e) => e);
      expect(error).toBeInstanceOf(LockBackendError);
      expect((error as LockBackendError).backend).toBe('etcd');
      expect((error as Error).message).toMatch(/GRPC\w+Error|no answer within/);
    });
  });
});
