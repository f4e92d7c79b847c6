import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { MessageEvent } from '@nestjs/common';
import type { DashboardSnapshot } from '../../lib/dashboard/dashboard-snapshot.js';
import {
  dashboardEvents,
  type SnapshotFeed,
  snapshotFingerprint,
} from '../../lib/nest/dashboard/dashboard-events.js';
import { later, sampleSnapshot } from '../support/dashboard-snapshots.js';

/** A feed the test pushes snapshots and failures into, as `LockDashboard.watch` would. */
class PushedFeed implements SnapshotFeed {
  listeners = 0;
  #listener: ((snapshot: DashboardSnapshot) => void) | undefined;
  #onError: ((error: Error) => void) | undefined;

  watch(listener: (snapshot: DashboardSnapshot) => void, onError?: (error: Error) => void) {
    this.listeners += 1;
    this.#listener = listener;
    this.#onError = onError;
    return () => {
      this.listeners -= 1;
    };
  }

  push(snapshot: DashboardSnapshot): void {
    this.#listener?.(snapshot);
  }

  fail(error: Error): void {
    this.#onError?.(error);
  }
}

describe('dashboardEvents (the server-sent events of one client)', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  function subscribe(feed: PushedFeed, heartbeatMs = 15_000) {
    const events: MessageEvent[] = [];
    const subscription = dashboardEvents(feed, heartbeatMs).subscribe((event) =>
      events.push(event),
    );
    return { events, subscription };
  }

  it('sends each snapshot as a `snapshot` event with its JSON', () => {
    const feed = new PushedFeed();
    const { events } = subscribe(feed);
    const snapshot = sampleSnapshot();
    feed.push(snapshot);
    expect(events).toEqual([{ type: 'snapshot', data: JSON.stringify(snapshot) }]);
    expect(JSON.parse(events[0]!.data as string)).toEqual(snapshot);
  });

  it('sends nothing for a later read of an unchanged store, and sends a change', () => {
    const feed = new PushedFeed();
    const { events } = subscribe(feed);
    const first = sampleSnapshot();
    feed.push(first);
    feed.push(later(first, 1_000));
    feed.push(later(first, 2_001));
    expect(events).toHaveLength(1);
    const taken = later(first, 3_000);
    feed.push({ ...taken, locks: [...taken.locks, { ...taken.locks[0]!, key: 'order:o-2' }] });
    expect(events).toHaveLength(2);
  });

  it('sends a renewal (the lease deadline moved) and a new fencing token', () => {
    const first = sampleSnapshot();
    const holder = first.locks[0]!.holders[0]!;
    const renewed = {
      ...first,
      locks: [{ ...first.locks[0]!, holders: [{ ...holder, leaseLeftMs: 30_000 + 10_000 }] }],
    };
    expect(snapshotFingerprint(renewed)).not.toBe(snapshotFingerprint(first));
    const retaken = {
      ...first,
      locks: [{ ...first.locks[0]!, holders: [{ ...holder, fencingToken: '8' }] }],
    };
    expect(snapshotFingerprint(retaken)).not.toBe(snapshotFingerprint(first));
  });

  it('dedups per client: a client that subscribes later gets the current picture at once', () => {
    const feed = new PushedFeed();
    const one = subscribe(feed);
    feed.push(sampleSnapshot());
    const two = subscribe(feed);
    feed.push(later(sampleSnapshot(), 500));
    expect(one.events).toHaveLength(1);
    expect(two.events).toHaveLength(1);
  });

  it('reports a failed read as a `failure` event, then sends the next snapshot even if unchanged', () => {
    const feed = new PushedFeed();
    const { events } = subscribe(feed);
    feed.push(sampleSnapshot());
    feed.fail(new Error('connection refused'));
    feed.push(later(sampleSnapshot(), 1_000));
    expect(events.map((e) => e.type)).toEqual(['snapshot', 'failure', 'snapshot']);
    expect(JSON.parse(events[1]!.data as string)).toEqual({ message: 'connection refused' });
  });

  it('writes a comment heartbeat every interval, and stops it and leaves the feed on unsubscribe', () => {
    const feed = new PushedFeed();
    const { events, subscription } = subscribe(feed, 15_000);
    jest.advanceTimersByTime(30_000);
    expect(events).toEqual([{ comment: 'heartbeat' }, { comment: 'heartbeat' }]);
    expect(feed.listeners).toBe(1);
    subscription.unsubscribe();
    expect(feed.listeners).toBe(0);
    jest.advanceTimersByTime(30_000);
    expect(events).toHaveLength(2);
  });
});
