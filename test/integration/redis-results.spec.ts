import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import { hashSlot } from '../../lib/backends/redis/cluster-slot.js';
import { RedisLockBackend } from '../../lib/index.js';
import { sleep, uniqueId } from '../support/async.js';
import { CLUSTER_PORT, REDIS_URL } from '../support/servers.js';

type Client = Redis | Cluster;

const TARGETS: [string, () => Client][] = [
  ['one server', () => new Redis(REDIS_URL)],
  ['a Redis Cluster', () => new Cluster([{ host: '127.0.0.1', port: CLUSTER_PORT }])],
];

/**
 * Outcomes of shared runs on Redis at the backend level, on one server and on a Cluster: the key
 * they leave and its expiry, and a put on a key held some other way than by a mutex lease.
 */
describe.each(TARGETS)('RedisLockBackend shared results on %s', (_name, open) => {
  let raw: Client;
  let client: Client;
  let backend: RedisLockBackend;
  let prefix: string;
  beforeAll(() => {
    raw = open();
    client = open();
    backend = new RedisLockBackend({ client, onWarning: false });
    prefix = `results:${uniqueId()}:`;
  });
  afterAll(async () => {
    await backend.close();
    await Promise.all([raw.quit(), client.quit()]);
  });

  const key = (name: string): string => `${prefix}${name}`;
  const resultKey = (name: string): string => `{${key(name)}}:result`;

  it('keeps the outcome in one key beside the lock, in its slot, which expires at the ttl', async () => {
    expect((await backend.acquire(key('expiry'), 'runner', 10_000)).acquired).toBe(true);
    expect(await backend.results.put(key('expiry'), 'runner', '{"ok":true}', 400)).toBe(true);
    expect(hashSlot(resultKey('expiry'))).toBe(hashSlot(`{${key('expiry')}}`));
    const pttl = await raw.pttl(resultKey('expiry'));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(400);
    expect((await backend.results.get(key('expiry')))?.value).toBe('{"ok":true}');
    await sleep(600);
    expect(await raw.exists(resultKey('expiry'))).toBe(0);
    expect(await backend.results.get(key('expiry'))).toBeNull();
  });

  it('refuses a put on a key held for reading, storing nothing and raising no WRONGTYPE', async () => {
    const read = { mode: 'read', fair: false, ticketTtlMs: 10_000, join: false } as const;
    expect((await backend.readWrite.acquire(key('read'), 'reader', 10_000, read)).acquired).toBe(
      true,
    );
    expect(await backend.results.put(key('read'), 'reader', '1', 10_000)).toBe(false);
    expect(await raw.exists(resultKey('read'))).toBe(0);
    expect(await backend.readWrite.release(key('read'), 'reader')).toBe(true);
    // A write hold is the key's mutex lease: its holder stores.
    const write = { ...read, mode: 'write' } as const;
    expect((await backend.readWrite.acquire(key('read'), 'writer', 10_000, write)).acquired).toBe(
      true,
    );
    expect(await backend.results.put(key('read'), 'writer', '2', 10_000)).toBe(true);
    expect((await backend.results.get(key('read')))?.value).toBe('2');
  });

  it("refuses a put on a semaphore's key, even by a permit holder: a permit is no mutex lease", async () => {
    expect((await backend.semaphore.acquire(key('sem'), 'permit', 10_000, 2)).acquired).toBe(true);
    expect(await backend.results.put(key('sem'), 'permit', '1', 10_000)).toBe(false);
    expect(await raw.exists(resultKey('sem'))).toBe(0);
  });

  it('keeps an outcome that holds any text, colons and non-ASCII included', async () => {
    const value = '12:34:{"text":"é ✓ \\u0000"}';
    expect((await backend.acquire(key('text'), 'runner', 10_000)).acquired).toBe(true);
    expect(await backend.results.put(key('text'), 'runner', value, 10_000)).toBe(true);
    expect((await backend.results.get(key('text')))?.value).toBe(value);
  });
});
