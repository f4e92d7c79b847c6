import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { type Lock, LockManager, PostgresLockBackend } from '../../lib/index.js';
import { eventually, sleep, uniqueId } from '../support/async.js';
import { TestPostgresServer } from '../support/postgres-server.js';
import { testPort } from '../support/servers.js';

/**
 * The lease ttl. The crash is timed right after a renewal, so the lease has ~6 s left; the outage
 * (the killed postmaster is reaped after 1.1-2.1 s, the restart with WAL redo takes 0.5-1.8 s) stays
 * clearly shorter, also on a loaded machine. With 3 s the lease can really expire in the table.
 */
const TTL_MS = 6_000;
const WAITER_APP = 'pg-faults-waiter';

/** Polls `condition` until it holds; a generous bound, not a measurement. */
/** Resolves once automatic renewal has extended `lock` past the expiry it has now. */
function renewed(lock: Lock, limitMs = 3 * TTL_MS): Promise<void> {
  const before = lock.expiresAt.getTime();
  return eventually(() => lock.expiresAt.getTime() > before, limitMs);
}

describe('PostgresLockBackend when Postgres crashes and restarts', () => {
  const server = new TestPostgresServer(testPort(5441));
  const cleanups: (() => Promise<unknown>)[] = [];
  /** A manager on a backend of its own; managers of one test share `keyPrefix`. */
  const managerOn = (keyPrefix: string, applicationName = 'pg-faults'): LockManager => {
    const backend = new PostgresLockBackend({
      connectionString: server.url,
      connection: { application_name: applicationName },
    });
    const manager = new LockManager({ backend, keyPrefix });
    cleanups.push(() => manager.close());
    return manager;
  };
  const listening = async (applicationName: string): Promise<boolean> => {
    const rows = await server.query(
      `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'`,
      [applicationName],
    );
    return rows.length > 0;
  };

  beforeAll(async () => {
    server.start();
    expect(await server.query('SHOW fsync')).toEqual([{ fsync: 'on' }]);
  });
  afterAll(() => server.stop());
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps a held lock, its fencing token and its renewal through kill -9 of the postmaster', async () => {
    const prefix = `pg-faults:${uniqueId()}:`;
    const holder = managerOn(prefix);
    const observer = managerOn(prefix);
    const lost: unknown[] = [];
    holder.on('lost', (event) => lost.push(event));

    const lock = await holder.acquire('held', { ttl: TTL_MS });
    await renewed(lock);
    const acknowledgedExpiry = lock.expiresAt.getTime();
    const killedPid = server.postmasterPid();
    const crash = await server.crashAndRestart();
    const expiryAtRestart = lock.expiresAt.getTime();
    // Watched from the restart on, checked below (handled here so an early failure is not unhandled).
    const renewalResumed = eventually(() => lock.expiresAt.getTime() > expiryAtRestart, TTL_MS);
    renewalResumed.catch(() => undefined);

    expect(server.postmasterPid()).not.toBe(killedPid);
    expect(crash.log).toContain('database system was not properly shut down');
    expect(crash.log).toContain('redo');
    // The lease survived in the table: same token, and no older expiry than the last acknowledged
    // renewal (acquire and extend commit durably).
    const survived = await observer.inspect('held');
    expect(survived?.fencingToken).toBe(lock.fencingToken);
    expect(survived!.expiresAt.getTime()).toBeGreaterThanOrEqual(acknowledgedExpiry);
    expect(await observer.tryAcquire('held')).toBeNull();

    // Renewal resumes on fresh connections and keeps the lease for several ttls after the restart.
    await renewalResumed;
    const windowEndsAt = performance.now() + 2.5 * TTL_MS;
    const expiries: number[] = [];
    while (performance.now() < windowEndsAt) {
      const seen = await observer.inspect('held');
      expect(seen?.fencingToken).toBe(lock.fencingToken);
      expiries.push(seen!.expiresAt.getTime());
      await sleep(500);
    }
    expect(expiries).toEqual([...expiries].sort((a, b) => a - b));
    expect(expiries.at(-1)!).toBeGreaterThan(acknowledgedExpiry + 2 * TTL_MS);
    expect(lock.signal.aborted).toBe(false);
    expect(lock.isHeld()).toBe(true);
    expect(lost).toEqual([]);

    // Fencing continues upward across the restart, on this key and on a key never used before.
    expect(await lock.release()).toBe(true);
    const next = await observer.acquire('held');
    expect(next.fencingToken > lock.fencingToken).toBe(true);
    const fresh = await observer.acquire('fresh');
    expect(fresh.fencingToken > next.fencingToken).toBe(true);
  }, 90_000);

  it('serves a waiter that waited through the crash once the holder releases', async () => {
    const prefix = `pg-faults:${uniqueId()}:`;
    const holder = managerOn(prefix);
    const waiter = managerOn(prefix, WAITER_APP);

    const lock = await holder.acquire('queued', { ttl: TTL_MS });
    let settled = false;
    const waiting = waiter.acquire('queued', { ttl: TTL_MS, wait: 60_000 });
    waiting.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await eventually(() => listening(WAITER_APP), 10_000);
    await renewed(lock);
    await server.crashAndRestart();

    // The waiter's LISTEN connection comes back, and it keeps waiting while the lock is held.
    await eventually(() => listening(WAITER_APP), 20_000);
    await renewed(lock, TTL_MS);
    expect(settled).toBe(false);
    expect(lock.signal.aborted).toBe(false);

    expect(await lock.release()).toBe(true);
    const served = await waiting;
    expect(served.isHeld()).toBe(true);
    expect(served.fencingToken > lock.fencingToken).toBe(true);
    expect(await holder.tryAcquire('queued')).toBeNull();
  }, 90_000);
});
