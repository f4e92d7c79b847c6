import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { WaitCycleMember, WaitRecord } from '../../lib/contract/wait-graph.js';
import { PostgresLockBackend, type PostgresLockBackendOptions } from '../../lib/index.js';
import { uniqueId } from '../support/async.js';
import { granted } from '../support/lease-results.js';
import { postgresSpecKit } from '../support/postgres-spec-kit.js';
import { PG_URL } from '../support/servers.js';

const WAITS = '"public"."nestjs_locker_waits"';

const ids = (cycles: readonly (readonly WaitCycleMember[])[]): string[][] =>
  cycles.map((cycle) => cycle.map((member) => member.id));

describe('PostgresLockBackend waits-for graph', () => {
  const { admin, cleanups, backend } = postgresSpecKit({ listen: false });

  /** A backend on one connection of its own, in a transaction the test commits. */
  const inTransaction = async (): Promise<{ store: PostgresLockBackend; client: pg.Client }> => {
    const client = new pg.Client(PG_URL);
    await client.connect();
    cleanups.push(() => client.end());
    const store = backend({ pool: client } as Partial<PostgresLockBackendOptions>);
    await store.inspect('ready'); // the schema check runs before the transaction
    await client.query('BEGIN');
    return { store, client };
  };
  const id = (name: string): string => `w:${uniqueId()}:${name}`;
  const waitRow = async (waitId: string) =>
    (
      await admin.query<{ holds: string[]; keys: string[]; since: Date; live: boolean }>(
        `SELECT holds, keys, since, expires_at > clock_timestamp() AS live FROM ${WAITS}
          WHERE id = $1`,
        [waitId],
      )
    ).rows[0];

  it('keeps one row per wait, refreshed in place with its first since, and deletes it on withdraw', async () => {
    const store = backend();
    const wait = id('row');
    expect(await store.waits.publish({ id: wait, holds: ['h1'], keys: ['k1'] }, 5_000, 8)).toEqual(
      [],
    );
    const first = await waitRow(wait);
    expect(first).toEqual({ holds: ['h1'], keys: ['k1'], since: expect.any(Date), live: true });
    await store.waits.publish({ id: wait, holds: ['h1', 'h2'], keys: ['k2', 'k3'] }, 5_000, 8);
    expect(await waitRow(wait)).toEqual({ ...first, holds: ['h1', 'h2'], keys: ['k2', 'k3'] });
    await store.waits.withdraw(wait);
    expect(await waitRow(wait)).toBeUndefined();
    await store.waits.withdraw(wait);
  });

  it('starts a new since when an expired wait comes back', async () => {
    const store = backend();
    const wait = id('again');
    await store.waits.publish({ id: wait, holds: ['h'], keys: ['k'] }, 50, 8);
    const first = (await waitRow(wait))!.since.getTime();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect((await waitRow(wait))?.live).toBe(false);
    await store.waits.publish({ id: wait, holds: ['h'], keys: ['k'] }, 5_000, 8);
    expect((await waitRow(wait))!.since.getTime()).toBeGreaterThan(first);
  });

  it('finds a cycle closed by two transactions that could not see each other, at the refresh', async () => {
    const [k1, k2] = [id('k1'), id('k2')];
    const [a, b] = [await inTransaction(), await inTransaction()];
    const holder = backend();
    const oa = `${k1}:owner`;
    const ob = `${k2}:owner`;
    granted(await holder.acquire(k1, oa, 30_000));
    granted(await holder.acquire(k2, ob, 30_000));
    const wa: WaitRecord = { id: id('a'), holds: [oa], keys: [k2] };
    const wb: WaitRecord = { id: id('b'), holds: [ob], keys: [k1] };
    // Each sees the other's lease but not its uncommitted wait.
    expect(await a.store.waits.publish(wa, 5_000, 8)).toEqual([]);
    expect(await b.store.waits.publish(wb, 5_000, 8)).toEqual([]);
    await Promise.all([a.client.query('COMMIT'), b.client.query('COMMIT')]);
    // The manager republishes every second: the refresh of either finds the cycle.
    expect(ids(await a.store.waits.publish(wa, 5_000, 8))).toEqual([[wa.id, wb.id]]);
    expect(ids(await b.store.waits.publish(wb, 5_000, 8))).toEqual([[wb.id, wa.id]]);
  });

  it('finds every cycle closed by concurrent publishes by the next publish of either end', async () => {
    const [a, b, holder] = [backend(), backend(), backend()];
    for (let round = 0; round < 20; round++) {
      const [k1, k2] = [id(`k1-${round}`), id(`k2-${round}`)];
      granted(await holder.acquire(k1, `${k1}:owner`, 30_000));
      granted(await holder.acquire(k2, `${k2}:owner`, 30_000));
      const wa: WaitRecord = { id: id('a'), holds: [`${k1}:owner`], keys: [k2] };
      const wb: WaitRecord = { id: id('b'), holds: [`${k2}:owner`], keys: [k1] };
      const first = await Promise.all([
        a.waits.publish(wa, 5_000, 8),
        b.waits.publish(wb, 5_000, 8),
      ]);
      // Either may miss the other's row (read committed); one of them may see it at once.
      expect([[], [[wa.id, wb.id]]]).toContainEqual(ids(first[0]));
      expect([[], [[wb.id, wa.id]]]).toContainEqual(ids(first[1]));
      expect(ids(await a.waits.publish(wa, 5_000, 8))).toEqual([[wa.id, wb.id]]);
      expect(ids(await b.waits.publish(wb, 5_000, 8))).toEqual([[wb.id, wa.id]]);
    }
  });

  it('answers a chain of 200 waits without a cycle quickly, and finds the cycle once it closes', async () => {
    const store = backend({ connection: { max: 8 } });
    const prefix = id('chain');
    const key = (i: number): string => `${prefix}:k${i}`;
    const owner = (i: number): string => `${prefix}:o${i}`;
    await Promise.all(
      Array.from({ length: 201 }, async (_, i) =>
        granted(await store.acquire(key(i), owner(i), 30_000)),
      ),
    );
    // Wait i holds key i and waits for key i + 1; the holder of key 200 waits for nothing.
    const wait = (i: number, next: number): WaitRecord => ({
      id: `${prefix}:w${i}`,
      holds: [owner(i)],
      keys: [key(next)],
    });
    for (let i = 1; i < 200; i++) {
      expect(await store.waits.publish(wait(i, i + 1), 30_000, 256)).toEqual([]);
    }
    for (const maxLength of [8, 256]) {
      const startedAt = performance.now();
      expect(await store.waits.publish(wait(0, 1), 30_000, maxLength)).toEqual([]);
      expect(performance.now() - startedAt).toBeLessThan(1_000);
    }
    // Key 200's holder now waits for key 0: one cycle of all 201 waits, longer than 8.
    expect(await store.waits.publish(wait(200, 0), 30_000, 8)).toEqual([]);
    const [cycle] = await store.waits.publish(wait(200, 0), 30_000, 256);
    expect(cycle?.map((member) => member.id)).toEqual([
      wait(200, 0).id,
      ...Array.from({ length: 200 }, (_, i) => wait(i, i + 1).id),
    ]);
    expect(cycle?.[1]?.keys).toEqual([key(1)]);
  });

  it('bounds the search of a dense graph that has no cycle through the record', async () => {
    const store = backend({ connection: { max: 8 } });
    const prefix = id('dense');
    const read = `${prefix}:read`;
    const rw = { mode: 'read', fair: false, ticketTtlMs: 5_000, join: false } as const;
    // 100 readers of one key, each waiting for that key (as for a write): every one blocks every
    // other, but none holds what the record's chain holds.
    await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        granted(await store.readWrite.acquire(read, `${prefix}:r${i}`, 30_000, rw));
        await store.waits.publish(
          { id: `${prefix}:w${i}`, holds: [`${prefix}:r${i}`], keys: [read] },
          30_000,
          1, // only its own cycle of one: the set-up need not search
        );
      }),
    );
    const startedAt = performance.now();
    const record = { id: `${prefix}:x`, holds: [`${prefix}:nothing`], keys: [read] };
    expect(await store.waits.publish(record, 30_000, 8)).toEqual([]);
    expect(performance.now() - startedAt).toBeLessThan(1_000);
    // A reader's own wait closes cycles at once, and the listing stops at 32.
    const own = { id: `${prefix}:w0`, holds: [`${prefix}:r0`], keys: [read] };
    expect(await store.waits.publish(own, 30_000, 8)).toHaveLength(32);
  });

  it('stops listing at 32 cycles, all through the record, each through one read hold', async () => {
    const store = backend();
    const prefix = id('many');
    const [mine, read] = [`${prefix}:mine`, `${prefix}:read`];
    granted(await store.acquire(mine, `${prefix}:me`, 30_000));
    const rw = { mode: 'read', fair: false, ticketTtlMs: 5_000, join: false } as const;
    for (let i = 0; i < 40; i++) {
      granted(await store.readWrite.acquire(read, `${prefix}:r${i}`, 30_000, rw));
      await store.waits.publish(
        { id: `${prefix}:w${i}`, holds: [`${prefix}:r${i}`], keys: [mine] },
        30_000,
        8,
      );
    }
    const cycles = await store.waits.publish(
      { id: `${prefix}:me`, holds: [`${prefix}:me`], keys: [read] },
      30_000,
      8,
    );
    expect(cycles).toHaveLength(32);
    for (const cycle of cycles) {
      expect(cycle).toHaveLength(2);
      expect(cycle[0]).toEqual({ id: `${prefix}:me`, keys: [read], since: expect.any(Number) });
      expect(cycle[1]?.id).toMatch(new RegExp(`^${prefix}:w\\d+$`));
    }
    expect(new Set(ids(cycles).map(([, other]) => other)).size).toBe(32);
  });
});
