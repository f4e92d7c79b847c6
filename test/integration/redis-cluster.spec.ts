import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import { hashSlot } from '../../lib/backends/redis/cluster-slot.js';
import {
  InvalidLockOptionsError,
  LockBackendError,
  LockManager,
  RedisLockBackend,
} from '../../lib/index.js';
import { sleep, uniqueId } from '../support/async.js';
import { TestRedisServer } from '../support/redis-server.js';
import { CLUSTER_PORT } from '../support/servers.js';

const CLUSTER_ARGS = [
  '--cluster-enabled',
  'yes',
  '--cluster-config-file',
  'nodes.conf',
  '--cluster-node-timeout',
  '2000',
];

async function clusterState(port: number): Promise<string> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  try {
    await client.connect();
    const info = (await client.call('CLUSTER', 'INFO')) as string;
    return /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
  } catch {
    return 'down';
  } finally {
    client.disconnect();
  }
}

describe('RedisLockBackend on a Redis Cluster (3 masters)', () => {
  const clients: Cluster[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  const cluster = (): Cluster => {
    const client = new Cluster([{ host: '127.0.0.1', port: CLUSTER_PORT }], {
      clusterRetryStrategy: (times) => Math.min(100 * times, 1_000),
    });
    client.on('error', () => {});
    clients.push(client);
    return client;
  };
  const managerOn = (backend: RedisLockBackend): LockManager => {
    const manager = new LockManager({ backend, keyPrefix: `cluster:${uniqueId()}:` });
    cleanups.push(() => manager.close());
    return manager;
  };

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
  });

  it('computes the hash slot of a key as the server does, hash tags, braces and unicode included', async () => {
    const client = cluster();
    const keys = [
      'foo',
      '123456789',
      '{user1000}.following',
      '{}empty-tag',
      '{{nested}}',
      'a}b{c}d',
      '{locker:order:42}:fence',
      'ключ 🔒 鍵',
      '{',
      '',
    ];
    for (const key of keys) {
      expect(hashSlot(key)).toBe(Number(await client.call('CLUSTER', 'KEYSLOT', key)));
    }
  });

  it('takes, extends and releases locks on keys of every slot in one tick (batches split by slot)', async () => {
    const locks = managerOn(new RedisLockBackend({ client: cluster(), onWarning: false }));
    const keys = Array.from({ length: 60 }, (_, i) => `order:${i}`);
    expect(new Set(keys.map((key) => hashSlot(`{cluster:${key}}`))).size).toBeGreaterThan(40);
    const held = await Promise.all(keys.map((key) => locks.acquire(key, { ttl: 600 })));
    // Sixty leases (tokens are per key: two keys on two masters may get the same one).
    expect(new Set(held.map((lock) => lock.owner)).size).toBe(60);
    for (const lock of held) expect(lock.fencingToken > 0n).toBe(true);
    // Renewal extends them all in one batch across the slots, for several ttls.
    await sleep(1_500);
    expect(held.every((lock) => lock.isHeld())).toBe(true);
    for (const key of keys.slice(0, 5)) expect(await locks.tryAcquire(key)).toBeNull();
    const released = await Promise.all(held.map((lock) => lock.release()));
    expect(released.every(Boolean)).toBe(true);
    for (const key of keys) expect(await locks.isLocked(key)).toBe(false);
  });

  it('refuses waitForReplicas with a cluster client', () => {
    expect(
      () =>
        new RedisLockBackend({
          client: cluster(),
          waitForReplicas: { replicas: 1, timeoutMs: 100 },
        }),
    ).toThrow(InvalidLockOptionsError);
  });

  it('keeps working after one master is killed (losing its keys) and restarted', async () => {
    const client = cluster();
    const prefix = `cluster:${uniqueId()}:`;
    const locks = new LockManager({
      backend: new RedisLockBackend({ client, onWarning: false, commandTimeoutMs: 1_000 }),
      keyPrefix: prefix,
    });
    cleanups.push(() => locks.close());
    const node = new TestRedisServer(CLUSTER_PORT + 1, CLUSTER_ARGS);
    const slots = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const onNode = (name: string): boolean => {
      const slot = hashSlot(`{${prefix}${name}}`);
      return slots.some(
        ([from, to, [, port]]) => port === CLUSTER_PORT + 1 && slot >= from && slot <= to,
      );
    };
    const names = Array.from({ length: 60 }, (_, i) => `restart:${i}`);
    const victims = names.filter(onNode);
    expect(victims.length).toBeGreaterThan(5);
    const before = await locks.acquire(victims[0]!, { ttl: 30_000 });

    await node.crashAndRestart();
    const deadline = Date.now() + 20_000;
    while ((await clusterState(CLUSTER_PORT)) !== 'ok') {
      if (Date.now() > deadline) throw new Error('the cluster did not recover');
      await sleep(200);
    }
    // The client reconnects to the restarted node by itself (calls time out until it has). An
    // attempt that timed out may still have landed, under its own owner token: the manager frees
    // it in the background (or it runs out after its 5 s), so the next attempt waits for that.
    let after: Awaited<ReturnType<LockManager['acquire']>> | undefined;
    while (!after) {
      after = await locks
        .acquire(victims[0]!, { ttl: 5_000, wait: 10_000 })
        .catch((error: unknown) => {
          expect(error).toBeInstanceOf(LockBackendError);
          if (Date.now() > deadline) throw error;
          return undefined;
        });
    }
    // The restarted node lost the lock key, so the key is free again; its fencing token still
    // rises (server clock floor). Later locks work on every slot, without restarting the app.
    expect(after.fencingToken).toBeGreaterThan(before.fencingToken);
    await after.release();
    for (const name of names) {
      const lock = await locks.acquire(name, { ttl: 5_000, wait: 5_000 });
      expect(lock.isHeld()).toBe(true);
      await lock.release();
    }
  }, 60_000);

  it('fails with LockBackendError, without hanging, while a master is stopped', async () => {
    const client = cluster();
    const backend = new RedisLockBackend({ client, onWarning: false, commandTimeoutMs: 800 });
    const node = new TestRedisServer(CLUSTER_PORT + 2, CLUSTER_ARGS);
    const slots = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const key = Array.from({ length: 200 }, (_, i) => `paused:${i}`).find((candidate) => {
      const slot = hashSlot(`{${candidate}}`);
      return slots.some(
        ([from, to, [, port]]) => port === CLUSTER_PORT + 2 && slot >= from && slot <= to,
      );
    })!;
    node.pause();
    try {
      const error = await backend.acquire(key, 'owner', 1_000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockBackendError);
    } finally {
      node.resume();
      await backend.close();
    }
  });
});
