import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import {
  LockBackendError,
  LockLostError,
  LockManager,
  RedlockLockBackend,
  type RedlockLockBackendOptions,
  RedlockQuorumError,
} from '../../lib/index.js';
import { aborted, sleep, uniqueId } from '../support/async.js';
import { TestRedisServer } from '../support/redis-server.js';
import { testPort } from '../support/servers.js';

/** Five Redis masters of this spec's own (the conformance quorum uses 6400-6404). */
const PORTS = [6405, 6406, 6407, 6408, 6409].map(testPort);
/** Nothing listens on these: connections are refused at once. */
const DEAD_URLS = [6491, 6492, 6493, 6494, 6495]
  .map(testPort)
  .map((port) => `redis://127.0.0.1:${port}`);

describe('RedlockLockBackend when nodes fail', () => {
  const servers = PORTS.map((port) => new TestRedisServer(port));
  const admins: Redis[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  const paused: TestRedisServer[] = [];
  let prefix: string;
  const pause = (i: number): void => {
    servers[i]!.pause();
    paused.push(servers[i]!);
  };

  const backend = (options: Partial<RedlockLockBackendOptions> = {}): RedlockLockBackend => {
    const created = new RedlockLockBackend({
      nodes: servers.map((server) => server.url),
      onWarning: false,
      ...options,
    });
    cleanups.push(() => created.close());
    return created;
  };
  const managerOn = (store: RedlockLockBackend): LockManager => {
    const manager = new LockManager({ backend: store, keyPrefix: prefix });
    cleanups.push(() => manager.close());
    return manager;
  };
  /** What node `i` holds for a manager key: `<token>:<owner>`, or null. */
  const valueOn = (i: number, key: string): Promise<string | null> =>
    admins[i]!.get(`{${prefix}${key}}`);
  const takeOn = (i: number, key: string, owner: string, ttlMs = 10_000): Promise<unknown> =>
    admins[i]!.set(`{${prefix}${key}}`, `1:${owner}`, 'PX', ttlMs);

  beforeAll(() => {
    for (const server of servers) server.start();
    for (const server of servers) {
      const admin = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      admin.on('error', () => undefined);
      admins.push(admin);
    }
  });
  afterAll(() => {
    for (const admin of admins) admin.disconnect();
    for (const server of servers) server.stop();
  });
  beforeEach(() => {
    prefix = `faults:${uniqueId()}:`;
  });
  afterEach(async () => {
    // Resume first: closing waits for a paused server's answer to QUIT, and the start script
    // pings every server, which a paused one never answers.
    for (const server of paused.splice(0)) server.resume();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    for (const server of servers) server.start();
  });

  it('keeps granting, extending and releasing locks with one of five nodes down', async () => {
    const locks = managerOn(backend());
    servers[4]!.stop();
    const first = await locks.acquire('one-down', { ttl: 5_000 });
    await first.extend();
    expect((await locks.inspect('one-down'))?.fencingToken).toBe(first.fencingToken);
    expect(await first.release()).toBe(true);
    const second = await locks.acquire('one-down');
    expect(second.fencingToken > first.fencingToken).toBe(true);
  });

  it('hands a lock over to a waiter with one of five nodes down', async () => {
    const [holder, waiter] = [managerOn(backend()), managerOn(backend())];
    servers[0]!.stop();
    const lock = await holder.acquire('handoff', { ttl: 20_000 });
    const waiting = waiter.acquire('handoff', { wait: 15_000 });
    await sleep(200);
    await lock.release();
    const next = await waiting;
    expect(next.fencingToken > lock.fencingToken).toBe(true);
  });

  it('does not wait for a stalled node when the other four answer', async () => {
    // With a 60 s per-node timeout, any call that waited for the paused node would outlast the
    // test's own 30 s timeout.
    const locks = managerOn(backend({ commandTimeoutMs: 60_000 }));
    await (await locks.acquire('warm')).release();
    pause(2);
    for (let i = 0; i < 3; i++) {
      const lock = await locks.acquire('stalled');
      await lock.extend();
      expect(await locks.isLocked('stalled')).toBe(true);
      expect(await lock.release()).toBe(true);
    }
  });

  it('fails with a RedlockQuorumError naming every node when three of five are down', async () => {
    const locks = managerOn(backend());
    await (await locks.acquire('warm')).release();
    for (const i of [0, 2, 4]) servers[i]!.stop();
    const error = (await locks
      .acquire('three-down')
      .catch((e: unknown) => e)) as RedlockQuorumError;
    expect(error).toBeInstanceOf(RedlockQuorumError);
    expect(error).toBeInstanceOf(LockBackendError);
    expect(error.code).toBe('LOCK_BACKEND_ERROR');
    expect(error.operation).toBe('acquire');
    expect(error.quorum).toBe(3);
    expect(error.nodes.map((node) => node.outcome)).toEqual([
      'unreachable',
      'granted',
      'unreachable',
      'granted',
      'unreachable',
    ]);
    expect(error.nodes.map((node) => node.node)).toEqual(PORTS.map((port) => `127.0.0.1:${port}`));
    for (const port of [PORTS[0], PORTS[2], PORTS[4]]) {
      expect(error.message).toContain(`127.0.0.1:${port} unreachable`);
    }
    expect(error.cause).toBeInstanceOf(AggregateError);
    expect((error.cause as AggregateError).errors).toHaveLength(3);
    // The two nodes that granted it were given it back.
    expect(await valueOn(1, 'three-down')).toBeNull();
    expect(await valueOn(3, 'three-down')).toBeNull();
  });

  it('tells a contended node from an unreachable one and from one that timed out', async () => {
    const store = backend({ commandTimeoutMs: 300 });
    await store.inspect(`${prefix}warm`);
    await takeOn(0, 'mixed', 'someone-else');
    pause(2);
    servers[3]!.stop();
    servers[4]!.stop();
    const error = (await store
      .acquire(`${prefix}mixed`, 'me', 5_000)
      .catch((e: unknown) => e)) as RedlockQuorumError;
    expect(error).toBeInstanceOf(RedlockQuorumError);
    expect(error.nodes.map((node) => node.outcome)).toEqual([
      'contended',
      'granted',
      'timeout',
      'unreachable',
      'unreachable',
    ]);
    expect(error.nodes[2]!.cause?.message).toContain('300 ms');
    expect(await valueOn(1, 'mixed')).toBeNull();
  });

  it('works again once the nodes are back, with the same backend', async () => {
    const locks = managerOn(backend({ commandTimeoutMs: 300 }));
    await (await locks.acquire('warm')).release();
    for (const i of [1, 2, 3]) servers[i]!.stop();
    await expect(locks.tryAcquire('comeback')).rejects.toBeInstanceOf(RedlockQuorumError);
    for (const i of [1, 2, 3]) servers[i]!.start();
    // ioredis reconnects by itself; the lock works as soon as a majority is connected again.
    let lock = null;
    for (let attempt = 0; attempt < 100 && !lock; attempt++) {
      lock = await locks.tryAcquire('comeback').catch(() => null);
      if (!lock) await sleep(100);
    }
    expect(lock?.isHeld()).toBe(true);
    expect(await lock?.release()).toBe(true);
  });

  it('releases a failed attempt everywhere and says when the holder’s majority frees', async () => {
    const store = backend();
    for (const i of [0, 1, 2]) await takeOn(i, 'held', 'holder', 8_000);
    const result = await store.acquire(`${prefix}held`, 'me', 5_000);
    expect(result.acquired).toBe(false);
    const retryAfterMs = result.acquired ? 0 : (result.retryAfterMs ?? 0);
    expect(retryAfterMs).toBeGreaterThan(5_000);
    expect(retryAfterMs).toBeLessThanOrEqual(8_000);
    expect(await valueOn(3, 'held')).toBeNull();
    expect(await valueOn(4, 'held')).toBeNull();
  });

  it('retries a split vote, then reports a miss that may be retried at once', async () => {
    const store = backend();
    for (const i of [0, 1]) await takeOn(i, 'split', 'a');
    for (const i of [2, 3]) await takeOn(i, 'split', 'b');
    expect(await store.acquire(`${prefix}split`, 'me', 5_000)).toEqual({
      acquired: false,
      retryAfterMs: 0,
    });
    expect(await valueOn(4, 'split')).toBeNull();
  });

  it('makes the majority adopt its highest fencing token, and keeps tokens increasing', async () => {
    const locks = managerOn(backend());
    // A previous holder's majority (nodes 0-2) issued a token far ahead of this client's clock (a
    // client with a fast clock, say). The acquire decides on the first majority to answer, which
    // always shares a node with them, so it must adopt their token, whichever nodes answer first.
    const ahead = (BigInt(Date.now()) + 10n ** 9n) * 1000n;
    for (const i of [0, 1, 2]) await admins[i]!.set(`{${prefix}adopt}:fence`, ahead.toString());
    const first = await locks.acquire('adopt');
    expect(first.fencingToken).toBe(ahead + 1n);
    // At least a majority holds the lock under that token, and remembers it as the fence.
    let adopted = 0;
    for (let i = 0; i < 5; i++) {
      const value = await valueOn(i, 'adopt');
      const fence = BigInt((await admins[i]!.get(`{${prefix}adopt}:fence`)) ?? 0);
      if (value === `${ahead + 1n}:${first.owner}` && fence === ahead + 1n) adopted++;
    }
    expect(adopted).toBeGreaterThanOrEqual(3);
    await first.release();
    // Any majority now shares a node that remembers the token, even without node 0.
    servers[0]!.stop();
    const second = await locks.acquire('adopt');
    expect(second.fencingToken).toBe(ahead + 2n);
  });

  it('keeps fencing tokens increasing when a minority of nodes lost their data', async () => {
    const locks = managerOn(backend());
    const ahead = (BigInt(Date.now()) + 10n ** 9n) * 1000n;
    for (const admin of admins) await admin.set(`{${prefix}minority}:fence`, ahead.toString());
    const first = await locks.acquire('minority');
    await first.release();
    await admins[0]!.flushall();
    await admins[1]!.flushall();
    const second = await locks.acquire('minority');
    expect(second.fencingToken > first.fencingToken).toBe(true);
  });

  it('can issue a lower fencing token once a majority lost its data (the documented caveat)', async () => {
    const locks = managerOn(backend());
    const ahead = (BigInt(Date.now()) + 10n ** 9n) * 1000n;
    for (const admin of admins) await admin.set(`{${prefix}majority}:fence`, ahead.toString());
    const first = await locks.acquire('majority');
    await first.release();
    for (const i of [0, 1, 2]) await admins[i]!.flushall();
    // Nodes 0-2 forgot the token; a majority of them falls back to the client's clock.
    servers[3]!.stop();
    servers[4]!.stop();
    const second = await locks.acquire('majority');
    expect(second.fencingToken < first.fencingToken).toBe(true);
  });

  it('moves each node’s fence expiry along with the lease as it is renewed', async () => {
    const locks = managerOn(backend({ fenceRetentionMs: 1_000 }));
    const lock = await locks.acquire('renewed-fence', { ttl: 2_000, autoRenew: false });
    await lock.extend(60_000);
    const moved = async () => {
      const ttls = await Promise.all(
        admins.map((admin) => admin.pttl(`{${prefix}renewed-fence}:fence`)),
      );
      return ttls.filter((ttl) => ttl > 55_000).length;
    };
    // The extend resolved once a majority answered; the other nodes' extends may still be landing.
    expect(await moved()).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < 50 && (await moved()) < admins.length; i++) await sleep(20);
    expect(await moved()).toBe(admins.length);
  });

  it('aborts a held lock at its deadline when a majority of nodes goes down', async () => {
    const locks = managerOn(backend({ commandTimeoutMs: 200 }));
    const lock = await locks.acquire('lost', { ttl: 900 });
    for (const i of [0, 1, 2]) servers[i]!.stop();
    const reason = (await aborted(lock.signal, 5_000)) as LockLostError;
    expect(reason).toBeInstanceOf(LockLostError);
    expect(reason.reason).toBe('expired');
  });

  it('fails fast on nodes nobody listens on, and closes without hanging', async () => {
    const store = new RedlockLockBackend({ nodes: DEAD_URLS, commandTimeoutMs: 500 });
    const locks = new LockManager({ backend: store });
    // Closed here on success; by the cleanup if an expectation fails first (ioredis would keep
    // reconnecting to the dead ports and keep jest from exiting).
    cleanups.push(() => locks.close());
    const error = (await locks.acquire('nowhere').catch((e: unknown) => e)) as RedlockQuorumError;
    expect(error).toBeInstanceOf(RedlockQuorumError);
    for (const node of error.nodes) expect(['unreachable', 'timeout']).toContain(node.outcome);
    await expect(locks.inspect('nowhere')).rejects.toBeInstanceOf(RedlockQuorumError);
    await expect(locks.isLocked('nowhere')).rejects.toBeInstanceOf(LockBackendError);
    await locks.close();
  });

  it('leaves the clients it was given open, and closes the connections it opened', async () => {
    const clients = servers.map((server) => new Redis(server.url));
    cleanups.push(async () => {
      for (const client of clients) client.disconnect();
    });
    const lent = new RedlockLockBackend({ nodes: clients, onWarning: false });
    const locks = new LockManager({ backend: lent });
    await (await locks.acquire(`lent-${uniqueId()}`)).release();
    await locks.close();
    expect(await Promise.all(clients.map((client) => client.ping()))).toEqual(
      clients.map(() => 'PONG'),
    );

    const owned = new RedlockLockBackend({
      nodes: servers.map((server) => ({ url: server.url })),
      onWarning: false,
    });
    expect(await owned.inspect(`owned-${uniqueId()}`)).toBeNull();
    await owned.close();
    await expect(owned.acquire('k', 'o', 1_000)).rejects.toBeInstanceOf(LockBackendError);
  });

  it('warns once per node whose settings can lose locks', async () => {
    const warnings: string[] = [];
    const store = backend({ onWarning: (message) => warnings.push(message) });
    await store.inspect(`${prefix}warn`);
    for (let i = 0; i < 50 && warnings.length < 5; i++) await sleep(20);
    expect(warnings).toHaveLength(5);
    for (const port of PORTS) {
      expect(warnings.some((warning) => warning.includes(`127.0.0.1:${port}`))).toBe(true);
    }
  });
});
