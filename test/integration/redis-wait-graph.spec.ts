import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import { WAIT_GRAPH_KEYS } from '../../lib/backends/redis/redis-keys.js';
import type { WaitCycleMember, WaitGraph } from '../../lib/contract/wait-graph.js';
import { RedisLockBackend } from '../../lib/index.js';
import { sleep, uniqueId } from '../support/async.js';
import { CLUSTER_PORT, REDIS_URL } from '../support/servers.js';

/**
 * The graph's keys have fixed names, shared by every backend on a server: this spec uses a
 * database of its own, so no other suite's waits mix in and it can see every key the graph leaves.
 */
const GRAPH_DB_URL = `${REDIS_URL}/9`;
const [RECORDS, HOLDS, EXPIRY] = WAIT_GRAPH_KEYS as [string, string, string, string];

const ids = (cycle: readonly WaitCycleMember[] | undefined): string[] =>
  (cycle ?? []).map((member) => member.id);

/**
 * The waits-for graph on one Redis server at the backend level: what it leaves in Redis, how it
 * ends, and how far one publish walks.
 */
describe('RedisLockBackend waits-for graph on one server', () => {
  let raw: Redis;
  let backend: RedisLockBackend;
  let graph: WaitGraph;
  let prefix: string;
  beforeAll(async () => {
    raw = new Redis(GRAPH_DB_URL);
    await raw.flushdb();
    backend = new RedisLockBackend({ url: GRAPH_DB_URL, onWarning: false });
    graph = backend.waits!;
    prefix = `waits:${uniqueId()}:`;
  });
  afterAll(async () => {
    await raw.flushdb();
    await backend.close();
    await raw.quit();
  });

  const key = (name: string): string => `${prefix}${name}`;
  const hold = async (name: string, owner: string, ttlMs = 30_000): Promise<string> => {
    expect((await backend.acquire(key(name), owner, ttlMs)).acquired).toBe(true);
    return owner;
  };
  const graphKeys = (): Promise<number> => raw.exists(...WAIT_GRAPH_KEYS);

  it('indexes a wait under its holds, every graph key expires, and a withdraw leaves no key behind', async () => {
    const owner = await hold('a', 'owner-a');
    expect(await graph.publish({ id: 'w1', holds: [owner], keys: [key('b')] }, 10_000, 8)).toEqual(
      [],
    );
    expect(await raw.hexists(RECORDS, 'w1')).toBe(1);
    expect(JSON.parse((await raw.hget(HOLDS, owner)) ?? '[]')).toEqual(['w1']);
    expect(await raw.zscore(EXPIRY, 'w1')).not.toBeNull();
    for (const graphKey of WAIT_GRAPH_KEYS) {
      const pttl = await raw.pttl(graphKey);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(10_000);
    }
    await graph.withdraw('w1');
    expect(await graphKeys()).toBe(0);
    await graph.withdraw('w1');
  });

  it('lets the graph run out with its last wait, and drops an expired wait at the next publish', async () => {
    const owner = await hold('c', 'owner-c');
    await graph.publish({ id: 'short', holds: [owner], keys: [key('d')] }, 300, 8);
    await sleep(500);
    expect(await graphKeys()).toBe(0);
    // An expired wait beside a live one: the keys live on, the next publish drops it.
    await graph.publish({ id: 'short', holds: [owner], keys: [key('d')] }, 300, 8);
    await graph.publish({ id: 'long', holds: ['owner-long'], keys: [key('d')] }, 10_000, 8);
    await sleep(500);
    expect(await raw.hexists(RECORDS, 'short')).toBe(1);
    await graph.publish({ id: 'next', holds: ['owner-next'], keys: [key('d')] }, 10_000, 8);
    expect(await raw.hexists(RECORDS, 'short')).toBe(0);
    expect(await raw.hexists(HOLDS, owner)).toBe(0);
    expect(await raw.zscore(EXPIRY, 'short')).toBeNull();
    expect(await raw.hexists(RECORDS, 'long')).toBe(1);
    await graph.withdraw('long');
    await graph.withdraw('next');
    expect(await graphKeys()).toBe(0);
  });

  it('walks a chain of 200 waits to its end, and finds the cycle a multi-key lease closes', async () => {
    // Wait i holds key i and waits for key i+1; key 0 is one key of a multi-key lease.
    const owners = ['chain-0'];
    expect(
      (await backend.multiKey!.acquire([key('k0'), key('m')], 'chain-0', 30_000)).acquired,
    ).toBe(true);
    for (let i = 1; i <= 200; i++) owners.push(await hold(`k${i}`, `chain-${i}`));
    const wait = (i: number) => ({ id: `c${i}`, holds: [owners[i]!], keys: [key(`k${i + 1}`)] });
    for (let i = 199; i >= 0; i--) expect(await graph.publish(wait(i), 30_000, 256)).toEqual([]);
    expect(await graph.publish(wait(0), 30_000, 1_000)).toEqual([]);
    // The holder of key 200 waits for the multi-key lease's other key: a cycle of 201 waits.
    const closing = { id: 'c200', holds: [owners[200]!], keys: [key('m')] };
    expect(await graph.publish(closing, 30_000, 8)).toEqual([]);
    const cycles = await graph.publish(closing, 30_000, 256);
    expect(cycles).toHaveLength(1);
    expect(ids(cycles[0])).toEqual(['c200', ...Array.from({ length: 200 }, (_, i) => `c${i}`)]);
    expect(cycles[0]![0]!.keys).toEqual([key('m')]);
    expect(cycles[0]![1]!.keys).toEqual([key('k1')]);
    for (let i = 0; i <= 200; i++) await graph.withdraw(`c${i}`);
    expect(await graphKeys()).toBe(0);
  });

  it('stops listing at 32 cycles in a crowded graph, each a real cycle through the wait', async () => {
    // 40 chains, each holding its own key and waiting for all 40 keys: cycles without number.
    const names = Array.from({ length: 40 }, (_, i) => `crowd${i}`);
    const owners = await Promise.all(names.map((name) => hold(name, `owner-${name}`)));
    const keys = names.map(key);
    for (const [i, owner] of owners.entries()) {
      await graph.publish({ id: `x${i}`, holds: [owner], keys }, 30_000, 8);
    }
    const cycles = await graph.publish({ id: 'x0', holds: [owners[0]!], keys }, 30_000, 8);
    expect(cycles).toHaveLength(32);
    for (const cycle of cycles) {
      expect(cycle[0]!.id).toBe('x0');
      expect(cycle.length).toBeLessThanOrEqual(8);
      expect(new Set(ids(cycle)).size).toBe(cycle.length);
    }
    for (let i = 0; i < names.length; i++) await graph.withdraw(`x${i}`);
  });

  it('counts only live read holds as edges, though an expired one lingers in the sorted set', async () => {
    const read = { mode: 'read', fair: false, ticketTtlMs: 10_000, join: false } as const;
    for (const [reader, ttlMs] of [
      ['reader-short', 300],
      ['reader-long', 10_000],
    ] as const) {
      expect((await backend.readWrite.acquire(key('r'), reader, ttlMs, read)).acquired).toBe(true);
    }
    const writer = await hold('w', 'writer');
    await graph.publish({ id: 'wr', holds: ['reader-short'], keys: [key('w')] }, 10_000, 8);
    const waitsForRead = { id: 'ww', holds: [writer], keys: [key('r')] };
    expect(ids((await graph.publish(waitsForRead, 10_000, 8))[0])).toEqual(['ww', 'wr']);
    await sleep(500);
    expect(await raw.zscore(`{${key('r')}}`, 'reader-short')).not.toBeNull();
    expect(await graph.publish(waitsForRead, 10_000, 8)).toEqual([]);
    // The live reader's chain waiting closes the cycle again.
    await graph.publish({ id: 'wl', holds: ['reader-long'], keys: [key('w')] }, 10_000, 8);
    expect(ids((await graph.publish(waitsForRead, 10_000, 8))[0])).toEqual(['ww', 'wl']);
    for (const id of ['wr', 'wl', 'ww']) await graph.withdraw(id);
  });
});

describe('RedisLockBackend on a Redis Cluster', () => {
  it('offers no waits-for graph: one script cannot read the lock keys of every slot', async () => {
    const client = new Cluster([{ host: '127.0.0.1', port: CLUSTER_PORT }]);
    const backend = new RedisLockBackend({ client, onWarning: false });
    expect(backend.waits).toBeUndefined();
    expect(backend.results).toBeDefined();
    await backend.close();
    await client.quit();
  });
});
