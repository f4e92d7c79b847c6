import type { MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { DashboardSnapshot } from '../../dashboard/dashboard-snapshot.js';

/** What {@link dashboardEvents} reads snapshots from: `LockDashboard.watch`. */
export interface SnapshotFeed {
  watch(
    listener: (snapshot: DashboardSnapshot) => void,
    onError?: (error: Error) => void,
  ): () => void;
}

/** A comment line every 15 s keeps proxies from closing an idle stream and shows the page it lives. */
export const HEARTBEAT_MS = 15_000;

/**
 * Lease and record deadlines are compared at this grain: the store's clock and its rounding move
 * `now + leaseLeftMs` by a millisecond or two between reads, and a renewal moves it by a third of
 * the ttl at least.
 */
const DEADLINE_GRAIN_MS = 500;

/**
 * The server-sent events of one client of `GET <path>/api/events`: a `snapshot` event with the
 * snapshot's JSON each time the feed refreshes and the picture differs from the last one sent to
 * this client ({@link snapshotFingerprint}), a `failure` event with `{ message }` when a read
 * fails (the page says the data is stale; the feed goes on), and a comment every `heartbeatMs`.
 * Unsubscribing (Nest does it when the client disconnects) leaves the feed.
 *
 * @example
 * ```ts
 * @Sse('api/events') events() { return dashboardEvents(this.dashboard); }
 * ```
 */
export function dashboardEvents(
  feed: SnapshotFeed,
  heartbeatMs = HEARTBEAT_MS,
): Observable<MessageEvent> {
  return new Observable<MessageEvent>((subscriber) => {
    let lastSent: string | undefined;
    const leave = feed.watch(
      (snapshot) => {
        const fingerprint = snapshotFingerprint(snapshot);
        if (fingerprint === lastSent) return;
        lastSent = fingerprint;
        subscriber.next({ type: 'snapshot', data: JSON.stringify(snapshot) });
      },
      (error) => {
        // The next good snapshot is sent even when it equals the last one: the page shows it fresh.
        lastSent = undefined;
        subscriber.next({ type: 'failure', data: JSON.stringify({ message: error.message }) });
      },
    );
    const heartbeat = setInterval(() => subscriber.next({ comment: 'heartbeat' }), heartbeatMs);
    heartbeat.unref();
    return () => {
      clearInterval(heartbeat);
      leave();
    };
  });
}

/**
 * The snapshot with its clock taken out: `now` dropped, each "ms left" or "ms since" turned into
 * the deadline or start it stands for (to {@link DEADLINE_GRAIN_MS}), so two reads of an unchanged
 * store give the same string and a renewal, a new holder or a new tick does not.
 */
export function snapshotFingerprint(snapshot: DashboardSnapshot): string {
  const { now } = snapshot;
  const at = (ms: number) => Math.round(ms / DEADLINE_GRAIN_MS);
  return JSON.stringify({
    ...snapshot,
    now: undefined,
    instances: snapshot.instances.map(({ recordLeftMs, ...instance }) => ({
      ...instance,
      recordUntil: at(now + recordLeftMs),
    })),
    locks: snapshot.locks.map((lock) => ({
      ...lock,
      holders: lock.holders.map(({ leaseLeftMs, heldMs, ...holder }) => ({
        ...holder,
        leaseUntil: at(now + leaseLeftMs),
        heldSince: heldMs === undefined ? undefined : at(now - heldMs),
      })),
      waiters: lock.waiters.map(({ waitedMs: _, ...waiter }) => waiter),
    })),
  });
}
