import { asBackendError, InvalidLockOptionsError } from '../contract/errors.js';
import type { ListedLease } from '../contract/lock-directory.js';
import { wallNow } from '../manager/clock.js';
import type { LockManager } from '../manager/lock-manager.js';
import { validateKey } from '../manager/validate-options.js';
import { assembleSnapshot } from './assemble-snapshot.js';
import type { DashboardSnapshot, ForceReleaseOutcome } from './dashboard-snapshot.js';
import { ownRecord } from './own-record.js';
import { SnapshotPoll } from './snapshot-poll.js';

/** Options of {@link LockDashboard}. */
export interface LockDashboardOptions {
  /** The most leases one snapshot lists. Default 1000. */
  limit?: number;
  /** How often `watch` reads a new snapshot, ms. Default 1000. */
  refreshMs?: number;
  /** Whether `forceRelease` is allowed (the Nest module sets it when an admin guard is given). Default `false`. */
  canForceRelease?: boolean;
}

const DEFAULT_LIMIT = 1000;
const DEFAULT_REFRESH_MS = 1000;

/**
 * The data side of the lock dashboard, without Nest: snapshots of every lock, waiter, leader and
 * cron tick under the manager's key prefix, read from the store (the backend's `directory`) and
 * from the records every instance with `presence` keeps there; a shared poll for live views; and
 * the admin's force-release. On a backend without `directory` it shows this instance alone.
 *
 * @example
 * ```ts
 * const dashboard = new LockDashboard(locks, { limit: 500 });
 * const { locks: held } = await dashboard.snapshot();
 * ```
 */
export class LockDashboard {
  readonly #manager: LockManager;
  readonly #limit: number;
  readonly #canForceRelease: boolean;
  readonly #poll: SnapshotPoll;

  constructor(manager: LockManager, options: LockDashboardOptions = {}) {
    this.#manager = manager;
    this.#limit = positiveInteger(options.limit ?? DEFAULT_LIMIT, 'limit');
    this.#canForceRelease = options.canForceRelease ?? false;
    const refreshMs = positiveInteger(options.refreshMs ?? DEFAULT_REFRESH_MS, 'refreshMs');
    this.#poll = new SnapshotPoll(() => this.snapshot(), refreshMs);
  }

  /** Reads a snapshot now. Rejects with a `LockBackendError` when the store cannot be read. */
  async snapshot(): Promise<DashboardSnapshot> {
    const manager = this.#manager;
    const prefix = manager.keyPrefix;
    const directory = manager.backend.directory;
    const common = {
      prefix,
      backend: manager.backend.name,
      servedBy: manager.instanceId,
      canForceRelease: this.#canForceRelease,
      localNow: wallNow(manager.clock),
    };
    if (!directory) {
      return assembleSnapshot({ ...common, canList: false, ...ownRecord(manager) });
    }
    const [listing, records] = await Promise.all([
      directory.list(prefix, this.#limit),
      directory.instances(prefix),
    ]).catch((error: unknown) => {
      throw asBackendError(manager.backend.name, 'list', undefined, error);
    });
    return assembleSnapshot({
      ...common,
      canList: true,
      leases: listing.leases,
      truncated: listing.truncated,
      now: listing.now,
      records: records.instances,
      recordsNow: records.now,
    });
  }

  /**
   * Calls `listener` with a new snapshot every `refreshMs` while at least one listener is
   * subscribed: one read of the store for all of them. `onError` hears a failed read (the poll goes
   * on). Returns the function that unsubscribes.
   */
  watch(
    listener: (snapshot: DashboardSnapshot) => void,
    onError?: (error: Error) => void,
  ): () => void {
    return this.#poll.subscribe(listener, onError);
  }

  /**
   * Releases every hold on `key` (a mutex's holder, each permit, each read hold), whoever holds it:
   * the owner check is met with the owner the store itself lists. The next holder gets a larger
   * fencing token, so a store that checks tokens refuses the old holder's writes; the old holder's
   * next renewal fails and its `signal` aborts (within about a third of its ttl). Records a
   * `forceReleased` event naming `by`.
   *
   * @throws {@link InvalidLockOptionsError} when force-release is not enabled, or for a bad key.
   * @throws `LockBackendError` when the store fails.
   */
  async forceRelease(key: string, by = 'an admin'): Promise<ForceReleaseOutcome> {
    if (!this.#canForceRelease) {
      throw new InvalidLockOptionsError('canForceRelease', 'force-release is not enabled');
    }
    const manager = this.#manager;
    const storeKey = manager.keyPrefix + validateKey(key);
    const holds = await this.#holdsOf(storeKey);
    const released: ListedLease[] = [];
    for (const hold of holds) {
      if (await releaseHold(manager, hold)) released.push(hold);
    }
    const fencingTokens = released.map((hold) => hold.fencingToken.toString());
    manager.activity.record(
      'forceReleased',
      `force-released by ${by}: ${released.length} hold(s)${fencingTokens.length ? `, fencing token ${fencingTokens.join(', ')}` : ''}`,
      key,
    );
    await manager.refreshPresence();
    return { key, released: released.length, fencingTokens };
  }

  /** The holds of one store key, from the listing (or `inspect` where the store cannot list). */
  async #holdsOf(storeKey: string): Promise<ListedLease[]> {
    const backend = this.#manager.backend;
    if (backend.directory) {
      const { leases } = await backend.directory.list(storeKey, this.#limit);
      return leases.filter((lease) => lease.key === storeKey);
    }
    const info = await backend.inspect(storeKey);
    if (!info || info.holders !== undefined) return [];
    return [{ ...info, kind: info.mode === 'read' ? 'read' : 'mutex' }];
  }
}

/**
 * Releases one hold through the capability that made it: a permit through the semaphores, a
 * read hold through the read-write locks, an exclusive hold as a mutex, or else as a write hold.
 */
async function releaseHold(manager: LockManager, hold: ListedLease): Promise<boolean> {
  const { semaphore, readWrite } = manager.backend;
  if (hold.kind === 'permit' && semaphore) return semaphore.release(hold.key, hold.owner);
  if (hold.kind === 'read' && readWrite) return readWrite.release(hold.key, hold.owner);
  if (await manager.backend.release(hold.key, hold.owner)) return true;
  return readWrite ? readWrite.release(hold.key, hold.owner) : false;
}

function positiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidLockOptionsError(field, `must be a positive integer, got ${String(value)}`);
  }
  return value;
}
