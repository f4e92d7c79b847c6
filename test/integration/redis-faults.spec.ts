import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import {
  InvalidLockOptionsError,
  LockBackendError,
  LockLostError,
  LockManager,
  LockManagerClosedError,
  RedisLockBackend,
} from '../../lib/index.js';
import { aborted, uniqueId } from '../support/async.js';
import { TestRedisServer } from '../support/redis-server.js';
import { REDIS_URL, testPort } from '../support/servers.js';

/** Nothing listens here: connections are refused at once. */
const DEAD_URL = `redis://127.0.0.1:${testPort(6397)}`;

describe('RedisLockBackend when Redis fails', () => {
  const server = new TestRedisServer(testPort(6391));
  const cleanups: (() => Promise<unknown>)[] = [];
  const managerOn = (backend: RedisLockBackend): LockManager => {
    const manager = new LockManager({ backend, keyPrefix: `faults:${uniqueId()}:` });
    cleanups.push(() => manager.close());
    return manager;
  };

  beforeAll(() => server.start());
  afterAll(() => server.stop());
  afterEach(async () => {
    server.resume();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('fails an acquire on an unreachable server with LockBackendError and its cause, without hanging', async () => {
    const locks = managerOn(new RedisLockBackend({ url: DEAD_URL, commandTimeoutMs: 500 }));
    const error = (await locks.acquire('k').catch((e: unknown) => e)) as LockBackendError;
    expect(error).toBeInstanceOf(LockBackendError);
    expect(error.code).toBe('LOCK_BACKEND_ERROR');
    expect(error.backend).toBe('redis');
    expect(error.operation).toBe('acquire');
    expect(error.key).toMatch(/:k$/);
    expect(error.cause).toBeInstanceOf(Error);
    await expect(locks.tryAcquire('k')).rejects.toBeInstanceOf(LockBackendError);
    await expect(locks.inspect('k')).rejects.toBeInstanceOf(LockBackendError);
  });

  it('times out calls on a client it was given without a command timeout of its own', async () => {
    const client = new Redis(DEAD_URL, { lazyConnect: true, maxRetriesPerRequest: null });
    client.on('error', () => {});
    cleanups.push(async () => client.disconnect());
    const locks = managerOn(new RedisLockBackend({ client, commandTimeoutMs: 300 }));
    const error = (await locks.acquire('k').catch((e: unknown) => e)) as LockBackendError;
    expect(error).toBeInstanceOf(LockBackendError);
    expect(String(error.cause)).toContain('300 ms');
  });

  it('gives up waiting on a paused server, and the late acquire cannot leave the key taken', async () => {
    const locks = managerOn(new RedisLockBackend({ url: server.url, commandTimeoutMs: 300 }));
    const observer = managerOn(new RedisLockBackend({ url: server.url }));
    server.pause();
    const error = await locks.acquire('late').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockBackendError);
    // The backend's own bound on each call, on the connection it opened.
    expect(String((error as LockBackendError).cause)).toContain('no answer within 300 ms');
    server.resume();
    // The paused acquire reaches Redis after all; the release sent under the same owner follows it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await observer.isLocked('late')).toBe(false);
    const lock = await observer.acquire('late');
    expect(lock.isHeld()).toBe(true);
  });

  it('closes without hanging while the server is paused, on the connections it opened', async () => {
    const locks = new LockManager({
      backend: new RedisLockBackend({ url: server.url, commandTimeoutMs: 300 }),
      keyPrefix: `faults:${uniqueId()}:`,
    });
    const lock = await locks.acquire('closing', { autoRenew: false });
    // A waiter's subscription opens the second connection, which close() must shut too.
    const waiting = locks.acquire('closing', { wait: 60_000 }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 100));
    server.pause();
    await locks.close();
    expect(lock.isHeld()).toBe(false);
    expect(await waiting).toBeInstanceOf(LockManagerClosedError);
  });

  it('aborts a held lock’s signal at its deadline while renewal hangs on a paused server', async () => {
    const locks = managerOn(new RedisLockBackend({ url: server.url, commandTimeoutMs: 10_000 }));
    const renewalFailures: string[] = [];
    locks.on('renewalFailed', (event) => renewalFailures.push(...event.keys));
    const lock = await locks.acquire('held', { ttl: 900 });
    server.pause();
    // The extend sent at ttl/3 hangs (10 s timeout); the deadline (~880 ms) must still fire.
    const reason = (await aborted(lock.signal, 5_000)) as LockLostError;
    expect(reason).toBeInstanceOf(LockLostError);
    expect(reason.reason).toBe('expired');
    expect(lock.isHeld()).toBe(false);
    server.resume();
    const next = await locks.acquire('held', { wait: 5_000 });
    expect(next.fencingToken > lock.fencingToken).toBe(true);
  });

  it('loads its scripts again after SCRIPT FLUSH (NOSCRIPT fallback)', async () => {
    const admin = new Redis(REDIS_URL);
    cleanups.push(() => admin.quit());
    const locks = managerOn(new RedisLockBackend({ client: admin }));
    const first = await locks.acquire('flushed');
    await admin.script('FLUSH');
    await first.extend();
    expect(await first.release()).toBe(true);
    await admin.script('FLUSH');
    const second = await locks.acquire('flushed');
    expect(second.fencingToken > first.fencingToken).toBe(true);
  });

  it('keeps fencing tokens increasing after the server lost all its data', async () => {
    const locks = managerOn(new RedisLockBackend({ url: server.url }));
    const before = await locks.acquire('fenced', { autoRenew: false });
    const admin = new Redis(server.url);
    cleanups.push(() => admin.quit());
    await admin.flushall();
    const after = await locks.acquire('fenced');
    expect(after.fencingToken > before.fencingToken).toBe(true);
  });

  it('issues tokens above a fence that is ahead of the server clock (a clock stepped back)', async () => {
    const prefix = `faults:${uniqueId()}:`;
    const locks = new LockManager({
      backend: new RedisLockBackend({ url: server.url }),
      keyPrefix: prefix,
    });
    cleanups.push(() => locks.close());
    const admin = new Redis(server.url);
    cleanups.push(() => admin.quit());
    // A token from a clock a day ahead of the server's.
    const ahead = BigInt(Date.now() + 86_400_000) * 1000n;
    await admin.set(`{${prefix}stepped}:fence`, ahead.toString(), 'PX', 60_000);

    const first = await locks.acquire('stepped', { autoRenew: false });
    expect(first.fencingToken).toBe(ahead + 1n);
    expect(await admin.get(`{${prefix}stepped}`)).toBe(`${ahead + 1n}:${first.owner}`);
    expect(await admin.get(`{${prefix}stepped}:fence`)).toBe((ahead + 1n).toString());
    // The lease runs on the server's clock, not the token's.
    expect(Math.abs(first.expiresAt.getTime() - (Date.now() + 30_000))).toBeLessThan(5_000);
    await first.release();
    expect((await locks.acquire('stepped', { autoRenew: false })).fencingToken).toBe(ahead + 2n);
  });

  it('answers a batch of acquires taken in one tick: granted, corrected and refused alike', async () => {
    const backend = new RedisLockBackend({ url: server.url });
    cleanups.push(() => backend.close());
    const admin = new Redis(server.url);
    cleanups.push(() => admin.quit());
    const id = uniqueId();
    const ahead = BigInt(Date.now() + 86_400_000) * 1000n;
    await admin.set(`{batch:${id}:ahead}:fence`, ahead.toString(), 'PX', 60_000);
    await admin.set(`{batch:${id}:taken}`, `1:someone-else`, 'PX', 20_000);

    const [plain, corrected, refused] = await Promise.all([
      backend.acquire(`batch:${id}:plain`, 'owner-a', 30_000),
      backend.acquire(`batch:${id}:ahead`, 'owner-b', 30_000),
      backend.acquire(`batch:${id}:taken`, 'owner-c', 30_000),
    ]);
    if (!plain.acquired || !corrected.acquired || refused.acquired) {
      throw new Error(
        `expected granted, granted, refused: ${plain.acquired} ${corrected.acquired} ${refused.acquired}`,
      );
    }
    expect(corrected.fencingToken).toBe(ahead + 1n);
    expect(plain.fencingToken < ahead).toBe(true);
    expect(Math.abs(plain.expiresAt - (Date.now() + 30_000))).toBeLessThan(5_000);
    expect(Math.abs(corrected.expiresAt - plain.expiresAt)).toBeLessThan(1_000);
    expect(refused.retryAfterMs).toBeGreaterThan(15_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(20_000);
  });

  it('does not close a client it was given, and closes one it opened', async () => {
    const client = new Redis(REDIS_URL);
    cleanups.push(() => client.quit());
    const shared = new RedisLockBackend({ client });
    await shared.close();
    expect(await client.ping()).toBe('PONG');

    const owned = new RedisLockBackend({ url: REDIS_URL });
    const locks = new LockManager({ backend: owned });
    await (await locks.acquire(`owned-${uniqueId()}`)).release();
    await locks.close();
    await expect(owned.acquire('k', 'o', 1_000)).rejects.toBeInstanceOf(LockBackendError);
  });

  it('refuses bad backend options with InvalidLockOptionsError', () => {
    expect(() => new RedisLockBackend({ url: REDIS_URL, commandTimeoutMs: 0 })).toThrow(
      InvalidLockOptionsError,
    );
    expect(() => new RedisLockBackend({ url: REDIS_URL, fenceRetentionMs: -1 })).toThrow(
      expect.objectContaining({ field: 'fenceRetentionMs' }),
    );
    expect(() => new RedisLockBackend({ client: {} as Redis })).toThrow(
      expect.objectContaining({ field: 'client' }),
    );
    expect(() => new RedisLockBackend(undefined as unknown as { url: string })).toThrow(
      InvalidLockOptionsError,
    );
  });
});
