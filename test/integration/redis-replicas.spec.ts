import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { InvalidLockOptionsError, LockBackendError, RedisLockBackend } from '../../lib/index.js';
import { sleep, uniqueId } from '../support/async.js';
import { TestRedisServer } from '../support/redis-server.js';
import { testPort } from '../support/servers.js';

const PRIMARY_PORT = testPort(6440);
const REPLICA_PORT = testPort(6441);
const SENTINEL_PORT = testPort(26440);

/** Polls `read` until it returns something truthy; a generous bound, not a measurement. */
async function until<T>(read: () => Promise<T>, limitMs = 15_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not ready within ${limitMs} ms`);
    await sleep(100);
  }
}

describe('RedisLockBackend with Sentinel and replicas', () => {
  const primary = new TestRedisServer(PRIMARY_PORT);
  const replica = new TestRedisServer(REPLICA_PORT, [
    '--replicaof',
    '127.0.0.1',
    String(PRIMARY_PORT),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'locker-sentinel-'));
  let sentinel: ChildProcess;
  let direct: Redis;
  let onReplica: Redis;
  const clients: Redis[] = [];
  const viaSentinel = (): Redis => {
    const client = new Redis({
      sentinels: [{ host: '127.0.0.1', port: SENTINEL_PORT }],
      name: 'locker',
      maxRetriesPerRequest: 1,
    });
    client.on('error', () => {});
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    primary.start();
    replica.start();
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${SENTINEL_PORT}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor locker 127.0.0.1 ${PRIMARY_PORT} 1`,
        'sentinel down-after-milliseconds locker 5000',
        '',
      ].join('\n'),
    );
    sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
    direct = new Redis(PRIMARY_PORT, '127.0.0.1');
    onReplica = new Redis(REPLICA_PORT, '127.0.0.1');
    await until(async () => /master_link_status:up/.test(await onReplica.info('replication')));
    const probe = new Redis(SENTINEL_PORT, '127.0.0.1', { lazyConnect: true });
    probe.on('error', () => {});
    await until(async () => {
      await probe.connect().catch(() => undefined);
      return probe.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'locker');
    });
    probe.disconnect();
  }, 60_000);

  afterAll(async () => {
    replica.resume();
    await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
    direct.disconnect();
    onReplica.disconnect();
    sentinel.kill();
    replica.stop();
    primary.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('locks through a client that finds the primary with Sentinel', async () => {
    const backend = new RedisLockBackend({ client: viaSentinel(), onWarning: false });
    const key = `sentinel:${uniqueId()}`;
    const lease = await backend.acquire(key, 'owner-a', 10_000);
    expect(lease.acquired).toBe(true);
    expect(await direct.get(`{${key}}`)).toMatch(/:owner-a$/);
    expect(await backend.release(key, 'owner-a')).toBe(true);
    expect(await direct.get(`{${key}}`)).toBeNull();
    await backend.close();
  });

  it('with waitForReplicas, grants a lock once the replica has it', async () => {
    const backend = new RedisLockBackend({
      client: viaSentinel(),
      onWarning: false,
      waitForReplicas: { replicas: 1, timeoutMs: 2_000 },
    });
    const key = `replicated:${uniqueId()}`;
    const lease = await backend.acquire(key, 'owner-a', 10_000);
    expect(lease.acquired).toBe(true);
    // WAIT returned only after the replica acknowledged the write.
    expect(await onReplica.get(`{${key}}`)).toMatch(/:owner-a$/);
    await backend.close();
  });

  it('with waitForReplicas, refuses and releases a lock the replica did not acknowledge', async () => {
    const backend = new RedisLockBackend({
      client: viaSentinel(),
      onWarning: false,
      waitForReplicas: { replicas: 1, timeoutMs: 300 },
    });
    const key = `unreplicated:${uniqueId()}`;
    replica.pause();
    try {
      const error = (await backend
        .acquire(key, 'owner-a', 10_000)
        .catch((e: unknown) => e)) as LockBackendError;
      expect(error).toBeInstanceOf(LockBackendError);
      expect(error.operation).toBe('acquire');
      expect(String(error.cause)).toContain('only 0 of 1 replica');
      // Released again: another owner can take it at once.
      expect(await direct.get(`{${key}}`)).toBeNull();
      const other = new RedisLockBackend({ client: viaSentinel(), onWarning: false });
      expect((await other.acquire(key, 'owner-b', 10_000)).acquired).toBe(true);
      await other.close();
    } finally {
      replica.resume();
      await backend.close();
    }
  });

  it.each([
    ['a fair lock', 'fair'],
    ['a semaphore permit', 'semaphore'],
    ['a multi-key lock', 'multiKey'],
  ] as const)(
    'with waitForReplicas, refuses and gives back %s the replica did not acknowledge',
    async (_name, kind) => {
      const backend = new RedisLockBackend({
        client: viaSentinel(),
        onWarning: false,
        waitForReplicas: { replicas: 1, timeoutMs: 300 },
      });
      const prefix = `unreplicated:${uniqueId()}:`;
      const key = `${prefix}k`;
      const acquire = {
        fair: () =>
          backend.fair.acquire(key, 'owner-a', 10_000, { ticketTtlMs: 3_000, join: true }),
        semaphore: () => backend.semaphore.acquire(key, 'owner-a', 10_000, 2),
        multiKey: () => backend.multiKey!.acquire([key, `${prefix}k:2`], 'owner-a', 10_000),
      }[kind];
      replica.pause();
      try {
        const error = (await acquire().catch((e: unknown) => e)) as LockBackendError;
        expect(error).toBeInstanceOf(LockBackendError);
        expect(String(error.cause)).toContain('only 0 of 1 replica');
        expect(await direct.exists(`{${prefix}k}`)).toBe(0);
        if (kind === 'multiKey') expect(await direct.exists(`{${prefix}k:2}`)).toBe(0);
      } finally {
        replica.resume();
        await backend.close();
      }
    },
  );

  it.each([
    ['zero replicas', { replicas: 0, timeoutMs: 100 }, 'waitForReplicas.replicas'],
    ['a fractional timeout', { replicas: 1, timeoutMs: 1.5 }, 'waitForReplicas.timeoutMs'],
    ['no timeout', { replicas: 1 }, 'waitForReplicas.timeoutMs'],
  ])('refuses waitForReplicas with %s', (_name, waitForReplicas, field) => {
    const create = () =>
      new RedisLockBackend({
        url: `redis://127.0.0.1:${PRIMARY_PORT}`,
        waitForReplicas: waitForReplicas as { replicas: number; timeoutMs: number },
      });
    expect(create).toThrow(InvalidLockOptionsError);
    expect(create).toThrow(expect.objectContaining({ field }));
  });
});
