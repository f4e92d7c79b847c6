import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import { hashSlot } from '../../lib/backends/redis/cluster-slot.js';
import { READ_HOLDS_MARK } from '../../lib/backends/redis/scripts/lock-value.lua.js';
import type { AcquiredLease, AcquireResult } from '../../lib/contract/lease.js';
import type { ReadWriteAcquireOptions } from '../../lib/contract/read-write-locks.js';
import { InvalidLockOptionsError, LockBackendError, RedisLockBackend } from '../../lib/index.js';
import { sleep, uniqueId } from '../support/async.js';
import { CLUSTER_PORT, REDIS_URL } from '../support/servers.js';

type Client = Redis | Cluster;

const TARGETS: [string, () => Client][] = [
  ['one server', () => new Redis(REDIS_URL)],
  ['a Redis Cluster', () => new Cluster([{ host: '127.0.0.1', port: CLUSTER_PORT }])],
];

/** Waits until `check` holds, polling; fails after `limitMs` (a bound, not a measurement). */
async function until(check: () => Promise<boolean>, limitMs = 10_000): Promise<void> {
  const giveUp = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > giveUp) throw new LockBackendError('test', 'wait', undefined, 'gave up');
    await sleep(20);
  }
}

function granted(result: AcquireResult): AcquiredLease {
  if (!result.acquired) throw new LockBackendError('test', 'acquire', undefined, 'missed');
  return result;
}

/**
 * Read-write locks on Redis at the backend level, on one server and on a Cluster: what the holds
 * and tickets do, the keys they leave, and how the mutex, fair, multi-key and semaphore scripts
 * meet a key held for reading.
 */
describe.each(TARGETS)('RedisLockBackend read-write locks on %s', (_name, open) => {
  let raw: Client;
  let client: Client;
  let backend: RedisLockBackend;
  let prefix: string;
  beforeAll(() => {
    raw = open();
    client = open();
    backend = new RedisLockBackend({ client, onWarning: false });
    prefix = `rw:${uniqueId()}:`;
  });
  afterAll(async () => {
    await backend.close();
    await Promise.all([raw.quit(), client.quit()]);
  });

  const key = (name: string): string => `${prefix}${name}`;
  const stored = (name: string, suffix = ''): string => `{${key(name)}}${suffix}`;
  const options = (
    mode: 'read' | 'write',
    more: Partial<ReadWriteAcquireOptions> = {},
  ): ReadWriteAcquireOptions => ({ mode, fair: false, ticketTtlMs: 10_000, join: false, ...more });
  const read = (
    name: string,
    owner: string,
    more?: Partial<ReadWriteAcquireOptions>,
    ttl = 10_000,
  ) => backend.readWrite.acquire(key(name), owner, ttl, options('read', more));
  const write = (
    name: string,
    owner: string,
    more?: Partial<ReadWriteAcquireOptions>,
    ttl = 10_000,
  ) => backend.readWrite.acquire(key(name), owner, ttl, options('write', more));
  const ticketOf = (name: string, owner: string) => raw.hget(stored(name, ':rw-tickets'), owner);
  /** The server's clock in ms (on a cluster, any master's: they share the host's clock). */
  const serverMs = async (): Promise<number> => {
    const [seconds, micros] = await raw.time();
    return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
  };

  it('lets readers overlap, each with its own lease, and inspect reports them as read holds', async () => {
    const first = granted(await read('overlap', 'r1'));
    const second = granted(await read('overlap', 'r2', {}, 20_000));
    expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
    expect(second.expiresAt).toBeGreaterThan(first.expiresAt);
    const info = await backend.inspect(key('overlap'));
    expect(info).toEqual({
      key: key('overlap'),
      owner: 'r2',
      fencingToken: second.fencingToken,
      expiresAt: second.expiresAt,
      holders: 2,
      mode: 'read',
    });
    // Asking again refreshes the hold and keeps its token.
    const again = granted(await read('overlap', 'r1', {}, 30_000));
    expect(again.fencingToken).toBe(first.fencingToken);
    expect(again.expiresAt).toBeGreaterThan(second.expiresAt);
    // The read keys live as long as the last read hold, no longer.
    expect(await raw.pttl(stored('overlap'))).toBeGreaterThan(20_000);
    expect(await raw.pttl(stored('overlap', ':readers'))).toBeGreaterThan(20_000);
    expect(await backend.readWrite.release(key('overlap'), 'r1')).toBe(true);
    expect(await raw.pttl(stored('overlap'))).toBeLessThanOrEqual(20_000);
    expect((await backend.inspect(key('overlap')))?.holders).toBe(1);
  });

  it('keeps a writer out while readers hold the key, and readers out while a writer does', async () => {
    const reader = granted(await read('exclusive', 'r1', {}, 5_000));
    const blocked = await write('exclusive', 'w1');
    expect(blocked.acquired).toBe(false);
    expect(blocked.acquired === false && blocked.retryAfterMs).toBeGreaterThan(0);
    expect(blocked.acquired === false && blocked.retryAfterMs).toBeLessThanOrEqual(5_000);
    expect(await backend.readWrite.release(key('exclusive'), 'r1')).toBe(true);
    // The last reader gone, nothing of the read holds is left.
    expect(await raw.exists(stored('exclusive'), stored('exclusive', ':readers'))).toBe(0);

    const writer = granted(await write('exclusive', 'w1', {}, 7_000));
    expect(writer.fencingToken).toBeGreaterThan(reader.fencingToken);
    // The write hold is the mutex lease: stored, inspected and extended as one.
    expect(await raw.get(stored('exclusive'))).toBe(`${writer.fencingToken}:w1`);
    const inspected = await backend.inspect(key('exclusive'));
    expect(inspected).toEqual({
      key: key('exclusive'),
      owner: 'w1',
      fencingToken: writer.fencingToken,
      expiresAt: expect.any(Number),
    });
    // Read back from the key's PTTL: the same instant, give or take the ms it rounds to.
    expect(Math.abs(inspected!.expiresAt - writer.expiresAt)).toBeLessThanOrEqual(1);
    const missed = await read('exclusive', 'r2');
    expect(missed.acquired).toBe(false);
    expect(missed.acquired === false && missed.retryAfterMs).toBeGreaterThan(0);
    expect(await write('exclusive', 'w2')).toMatchObject({ acquired: false });
    const [extended] = await backend.extend([{ key: key('exclusive'), owner: 'w1', ttlMs: 9_000 }]);
    expect(extended).toBeGreaterThan(writer.expiresAt);
    // Asking again refreshes the write hold and keeps its token.
    expect(granted(await write('exclusive', 'w1')).fencingToken).toBe(writer.fencingToken);
    // readWrite.release ends a write hold; the plain release would too.
    expect(await backend.readWrite.release(key('exclusive'), 'w1')).toBe(true);
    expect(await backend.readWrite.release(key('exclusive'), 'w1')).toBe(false);
    granted(await write('exclusive', 'w2'));
    expect(await backend.release(key('exclusive'), 'w2')).toBe(true);
    expect(await backend.inspect(key('exclusive'))).toBeNull();
  });

  it('makes a plain acquire miss while read holds live, and leaves them untouched', async () => {
    granted(await read('plain', 'r1', {}, 5_000));
    const plain = await backend.acquire(key('plain'), 'p1', 10_000);
    expect(plain.acquired).toBe(false);
    expect(plain.acquired === false && plain.retryAfterMs).toBeGreaterThan(0);
    // A same-tick batch of plain acquires, extends and releases: the read-held key answers
    // "busy" / "not held" and the other key of the batch is served.
    const [onReads, onFree] = await Promise.all([
      backend.acquire(key('plain'), 'p1', 10_000),
      backend.acquire(key('plain-free'), 'p1', 10_000),
    ]);
    expect(onReads?.acquired).toBe(false);
    const free = granted(onFree!);
    expect(
      await backend.extend([
        { key: key('plain'), owner: 'r1', ttlMs: 10_000 },
        { key: key('plain-free'), owner: 'p1', ttlMs: 10_000 },
      ]),
    ).toEqual([undefined, expect.any(Number)]);
    expect(
      await Promise.all([
        backend.release(key('plain'), 'r1'),
        backend.release(key('plain-free'), 'p1'),
      ]),
    ).toEqual([false, true]);
    // A fair lock misses too, and queues behind the readers.
    const fair = await backend.fair.acquire(key('plain'), 'f1', 10_000, {
      ticketTtlMs: 5_000,
      join: false,
    });
    expect(fair.acquired).toBe(false);
    if (backend.multiKey) {
      const multi = await backend.multiKey.acquire([key('plain'), key('plain-2')], 'm1', 10_000);
      expect(multi.acquired).toBe(false);
      expect(await raw.exists(stored('plain-2'))).toBe(0);
    }
    expect(await backend.inspect(key('plain'))).toMatchObject({ owner: 'r1', holders: 1 });
    expect(free.fencingToken).toBeGreaterThan(0n);
    // A plain lease is a write hold to readers.
    expect(await backend.readWrite.release(key('plain'), 'r1')).toBe(true);
    granted(await backend.acquire(key('plain'), 'p1', 10_000));
    expect(await read('plain', 'r2')).toMatchObject({ acquired: false });
  });

  it('gives every hold a token above all the earlier ones of the key, read or write', async () => {
    const tokens: bigint[] = [];
    tokens.push(granted(await read('tokens', 'r1')).fencingToken);
    tokens.push(granted(await read('tokens', 'r2')).fencingToken);
    await backend.readWrite.release(key('tokens'), 'r1');
    await backend.readWrite.release(key('tokens'), 'r2');
    tokens.push(granted(await write('tokens', 'w1')).fencingToken);
    await backend.readWrite.release(key('tokens'), 'w1');
    tokens.push(granted(await read('tokens', 'r3')).fencingToken);
    await backend.readWrite.release(key('tokens'), 'r3');
    tokens.push(granted(await backend.acquire(key('tokens'), 'p1', 10_000)).fencingToken);
    expect([...tokens].sort((a, b) => (a < b ? -1 : 1))).toEqual(tokens);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(BigInt((await raw.get(stored('tokens', ':fence')))!)).toBe(tokens.at(-1));
  });

  it('holds new readers behind a waiting writer, but not the readers queued ahead of it', async () => {
    const join = { join: true };
    granted(await write('queue', 'w0'));
    expect(await read('queue', 'r1', join)).toMatchObject({ acquired: false });
    expect(await write('queue', 'w1', join)).toMatchObject({ acquired: false });
    expect(await read('queue', 'r2', join)).toMatchObject({ acquired: false });
    expect(await raw.zrange(stored('queue', ':rw-queue'), '0', '-1')).toEqual(['r1', 'w1', 'r2']);
    expect(await ticketOf('queue', 'w1')).toMatch(/^write:\d+$/);
    await backend.readWrite.release(key('queue'), 'w0');

    // r1 was queued before the writer: it enters. r2 and a newcomer wait behind w1.
    granted(await read('queue', 'r1', join));
    expect(await ticketOf('queue', 'r1')).toBeNull();
    expect(await read('queue', 'r2', join)).toEqual({
      acquired: false,
      retryAfterMs: expect.any(Number),
    });
    expect(await read('queue', 'r3')).toMatchObject({ acquired: false });
    // The writer waits for the read hold; its ticket keeps its place.
    const waiting = await write('queue', 'w1', join);
    expect(waiting.acquired === false && waiting.retryAfterMs).toBeGreaterThan(0);
    expect(await raw.zrange(stored('queue', ':rw-queue'), '0', '-1')).toEqual(['w1', 'r2']);
    await backend.readWrite.release(key('queue'), 'r1');
    granted(await write('queue', 'w1', join));
    expect(await read('queue', 'r2', join)).toMatchObject({ acquired: false });
    await backend.readWrite.release(key('queue'), 'w1');
    granted(await read('queue', 'r2', join));
    granted(await read('queue', 'r3'));
    expect(await raw.exists(stored('queue', ':rw-queue'), stored('queue', ':rw-tickets'))).toBe(0);
  });

  it('lets a writer race other writers, never past readers queued ahead of it', async () => {
    granted(await read('race', 'r0'));
    expect(await write('race', 'w1', { join: true })).toMatchObject({ acquired: false });
    await backend.readWrite.release(key('race'), 'r0');
    // Only a write ticket is ahead: a writer that is not fair enters.
    granted(await write('race', 'w2'));
    await backend.readWrite.release(key('race'), 'w2');
    expect(await read('race', 'r1', { join: true })).toMatchObject({ acquired: false });
    // A read ticket ahead stops every writer.
    expect(await write('race', 'w3')).toEqual({ acquired: false, retryAfterMs: undefined });
  });

  it('makes a fair writer wait for every ticket ahead of it', async () => {
    const join = { join: true };
    granted(await read('fair', 'r0'));
    expect(await write('fair', 'w1', join)).toMatchObject({ acquired: false });
    expect(await write('fair', 'w2', { ...join, fair: true })).toMatchObject({ acquired: false });
    await backend.readWrite.release(key('fair'), 'r0');
    expect(await write('fair', 'w2', { ...join, fair: true })).toEqual({
      acquired: false,
      retryAfterMs: undefined,
    });
    granted(await write('fair', 'w1', join));
    await backend.readWrite.release(key('fair'), 'w1');
    granted(await write('fair', 'w2', { ...join, fair: true }));
  });

  it('leaves no ticket behind a single attempt, and drops the ticket it had', async () => {
    granted(await write('no-join', 'w0'));
    expect(await read('no-join', 'r1')).toMatchObject({ acquired: false });
    expect(await raw.exists(stored('no-join', ':rw-queue'), stored('no-join', ':rw-tickets'))).toBe(
      0,
    );
    expect(await read('no-join', 'r1', { join: true })).toMatchObject({ acquired: false });
    expect(await ticketOf('no-join', 'r1')).toMatch(/^read:\d+$/);
    expect(await read('no-join', 'r1')).toMatchObject({ acquired: false });
    expect(await raw.exists(stored('no-join', ':rw-queue'), stored('no-join', ':rw-tickets'))).toBe(
      0,
    );
    // A waiter leaving by release drops its ticket too, and tells nothing was released.
    expect(await write('no-join', 'w1', { join: true })).toMatchObject({ acquired: false });
    expect(await backend.readWrite.release(key('no-join'), 'w1')).toBe(false);
    expect(await raw.exists(stored('no-join', ':rw-queue'))).toBe(0);
  });

  it('stops holding readers back once the waiting writer stops renewing its ticket', async () => {
    granted(await read('ticket-expiry', 'r0'));
    expect(await write('ticket-expiry', 'w1', { join: true, ticketTtlMs: 300 })).toMatchObject({
      acquired: false,
    });
    expect(await read('ticket-expiry', 'r1')).toMatchObject({ acquired: false });
    // The queue keys live as long as their last ticket: Redis drops them when it expires.
    await until(async () => (await raw.exists(stored('ticket-expiry', ':rw-tickets'))) === 0);
    expect(await raw.exists(stored('ticket-expiry', ':rw-queue'))).toBe(0);
    granted(await read('ticket-expiry', 'r1'));
  });

  it('skips an expired ticket still in the queue; its owner coming back queues at the tail', async () => {
    granted(await write('stale', 'w0'));
    expect(await write('stale', 'w1', { join: true, ticketTtlMs: 300 })).toMatchObject({
      acquired: false,
    });
    // r1's longer ticket keeps the queue keys alive after w1's expired.
    expect(await read('stale', 'r1', { join: true })).toMatchObject({ acquired: false });
    const expiry = Number((await ticketOf('stale', 'w1'))!.split(':')[1]);
    await until(async () => (await serverMs()) > expiry);
    expect(await raw.zrange(stored('stale', ':rw-queue'), '0', '-1')).toEqual(['w1', 'r1']);
    expect(await write('stale', 'w1', { join: true })).toMatchObject({ acquired: false });
    expect(await raw.zrange(stored('stale', ':rw-queue'), '0', '-1')).toEqual(['r1', 'w1']);
    await backend.readWrite.release(key('stale'), 'w0');
    granted(await read('stale', 'r1', { join: true }));
  });

  it('ends a read hold by the server clock, and refuses to extend it after', async () => {
    const hold = granted(await read('expiry', 'r1', {}, 300));
    granted(await read('expiry', 'r2', {}, 10_000));
    const [extended] = await backend.readWrite.extend([
      { key: key('expiry'), owner: 'r2', ttlMs: 20_000 },
    ]);
    expect(extended).toBeGreaterThan(hold.expiresAt);
    await until(async () => (await backend.inspect(key('expiry')))?.holders === 1);
    expect(
      await backend.readWrite.extend([
        { key: key('expiry'), owner: 'r1', ttlMs: 10_000 },
        { key: key('expiry'), owner: 'r2', ttlMs: 10_000 },
        { key: key('expiry'), owner: 'nobody', ttlMs: 10_000 },
      ]),
    ).toEqual([undefined, expect.any(Number), undefined]);
    expect(await backend.readWrite.release(key('expiry'), 'r1')).toBe(false);
    expect(await raw.hexists(stored('expiry', ':readers'), 'r1')).toBe(0);
    await backend.readWrite.release(key('expiry'), 'r2');
    // A write hold is not a read hold: readWrite.extend answers undefined for it.
    granted(await write('expiry', 'w1'));
    expect(
      await backend.readWrite.extend([{ key: key('expiry'), owner: 'w1', ttlMs: 10_000 }]),
    ).toEqual([undefined]);
  });

  it('extends read holds of many keys in one call, on every slot', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `many-${i}`);
    const slots = new Set(names.map((name) => hashSlot(stored(name))));
    expect(slots.size).toBeGreaterThan(1);
    const holds = await Promise.all(names.map((name) => read(name, 'r1')));
    const results = await backend.readWrite.extend(
      names.map((name) => ({ key: key(name), owner: 'r1', ttlMs: 60_000 })),
    );
    results.forEach((result, i) => {
      expect(result).toBeGreaterThan(granted(holds[i]!).expiresAt);
    });
    expect(await backend.readWrite.extend([])).toEqual([]);
  });

  it('wakes subscribers when a write hold, the last read hold or a ticket ends, not before', async () => {
    const heard: string[] = [];
    const unsubscribe = await backend.subscribe(key('wake'), (handoff) => {
      heard.push(handoff?.owner ?? 'wake');
    });
    try {
      granted(await read('wake', 'r1'));
      granted(await read('wake', 'r2'));
      await backend.readWrite.release(key('wake'), 'r1');
      await backend.readWrite.release(key('wake'), 'r2');
      granted(await write('wake', 'w1'));
      expect(await read('wake', 'r3', { join: true })).toMatchObject({ acquired: false });
      await backend.readWrite.release(key('wake'), 'r3');
      expect(await read('wake', 'r4', { join: true })).toMatchObject({ acquired: false });
      expect(await read('wake', 'r4')).toMatchObject({ acquired: false });
      await backend.readWrite.release(key('wake'), 'w1');
      // A last message from the key's own master: every wake-up before it has arrived by then.
      await raw.eval(
        "redis.call('PUBLISH', ARGV[1], ARGV[2])",
        1,
        stored('wake'),
        stored('wake', ':released'),
        '1:1:end',
      );
      await until(async () => heard.at(-1) === 'end');
      // The last reader, r3's ticket released, r4's dropped by a single attempt, the writer; not
      // the first reader.
      expect(heard).toEqual(['wake', 'wake', 'wake', 'wake', 'end']);
    } finally {
      unsubscribe();
    }
  });

  it('refuses to mix read holds and a semaphore on one key', async () => {
    granted(await read('mixed-reads', 'r1'));
    const asSemaphore = await backend.semaphore
      .acquire(key('mixed-reads'), 's1', 10_000, 2)
      .catch((error: unknown) => error);
    expect(asSemaphore).toBeInstanceOf(LockBackendError);
    expect(String((asSemaphore as LockBackendError).cause)).toMatch(
      /MIXED_USE this key is held as a read-write lock/,
    );

    granted(await backend.semaphore.acquire(key('mixed-permits'), 's1', 10_000, 2));
    for (const attempt of [read('mixed-permits', 'r1'), write('mixed-permits', 'w1')]) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockBackendError);
      expect((error as LockBackendError).operation).toBe('acquire');
      expect(String((error as LockBackendError).cause)).toMatch(
        /MIXED_USE this key is held as a semaphore/,
      );
    }
    // Neither refusal disturbed the holders; a semaphore key releases nothing of read-write.
    expect(await backend.readWrite.release(key('mixed-permits'), 's1')).toBe(false);
    expect(
      await backend.readWrite.extend([{ key: key('mixed-permits'), owner: 's1', ttlMs: 1_000 }]),
    ).toEqual([undefined]);
    expect(await backend.inspect(key('mixed-permits'))).toMatchObject({ owner: 's1', holders: 1 });
    expect((await backend.inspect(key('mixed-reads')))?.mode).toBe('read');
  });

  it('refuses the owner name that marks read holds', async () => {
    await expect(read('reserved', READ_HOLDS_MARK)).rejects.toBeInstanceOf(InvalidLockOptionsError);
    expect(await raw.exists(stored('reserved'))).toBe(0);
  });
});
