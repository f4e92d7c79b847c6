import type { InstanceRecord, ListedLease } from '../contract/lock-directory.js';
import { wallNow } from '../manager/clock.js';
import { instancePayload } from '../manager/instance-record.js';
import type { LockManager } from '../manager/lock-manager.js';

/** What a snapshot shows on a store that cannot list: this instance alone, from its own memory. */
export interface OwnView {
  readonly leases: readonly ListedLease[];
  readonly truncated: false;
  readonly now: number;
  readonly records: readonly InstanceRecord[];
  readonly recordsNow: number;
}

/**
 * This instance's locks and record as the dashboard would read them from the store: its held
 * locks as leases (lease left unknown, shown as its full ttl is not tracked here: 0), its waits and
 * history as its record.
 */
export function ownRecord(manager: LockManager): OwnView {
  const now = wallNow(manager.clock);
  const owner = `${manager.instanceId}-`;
  const held = manager.held();
  const payload = instancePayload({
    appName: process.env.npm_package_name ?? 'app',
    startedAt: now - Math.round(process.uptime() * 1000),
    now,
    held,
    waiting: manager.waiting(),
    activity: manager.activity,
  });
  const leases = held.flatMap((lock) =>
    lock.keys.map(
      (key): ListedLease => ({
        key: manager.keyPrefix + key,
        owner,
        fencingToken: lock.fencingToken,
        expiresAt: now,
        kind: 'mutex',
      }),
    ),
  );
  return {
    leases,
    truncated: false,
    now,
    records: [{ id: manager.instanceId, payload, expiresAt: now }],
    recordsNow: now,
  };
}
