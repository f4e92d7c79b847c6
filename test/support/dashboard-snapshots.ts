import type { DashboardSnapshot } from '../../lib/dashboard/dashboard-snapshot.js';

/** A snapshot of two instances, a held order lock with a waiter, a leader and a cron job. */
export function sampleSnapshot(overrides: Partial<DashboardSnapshot> = {}): DashboardSnapshot {
  const now = 1_800_000_000_000;
  return {
    now,
    prefix: 'shop:',
    backend: 'redis',
    canList: true,
    truncated: false,
    servedBy: 'app-1',
    canForceRelease: false,
    instances: [
      {
        id: 'app-1',
        app: 'shop',
        host: 'h1',
        pid: 101,
        startedAt: now - 60_000,
        recordLeftMs: 9_000,
      },
      {
        id: 'app-2',
        app: 'shop',
        host: 'h2',
        pid: 102,
        startedAt: now - 50_000,
        recordLeftMs: 8_000,
      },
    ],
    locks: [
      {
        key: 'order:o-1',
        kind: 'mutex',
        holders: [
          {
            instanceId: 'app-2',
            alive: true,
            app: 'shop',
            host: 'h2',
            pid: 102,
            fencingToken: '7',
            heldMs: 1_200,
            leaseLeftMs: 28_800,
          },
        ],
        waiters: [{ instanceId: 'app-1', since: now - 300, waitedMs: 300, fair: false }],
      },
    ],
    leaders: [{ election: 'mailer', instanceId: 'app-1', since: now - 40_000, fencingToken: '3' }],
    crons: [
      {
        name: 'nightly-report',
        ticks: [
          {
            at: now - 1_000,
            ranBy: 'app-2',
            outcome: 'succeeded',
            durationMs: 52,
            skippedBy: ['app-1'],
          },
        ],
      },
    ],
    events: [],
    ...overrides,
  };
}

/** `snapshot` read `ms` later from an unchanged store: every "left" smaller, every "since" larger. */
export function later(snapshot: DashboardSnapshot, ms: number): DashboardSnapshot {
  return {
    ...snapshot,
    now: snapshot.now + ms,
    instances: snapshot.instances.map((i) => ({ ...i, recordLeftMs: i.recordLeftMs - ms })),
    locks: snapshot.locks.map((lock) => ({
      ...lock,
      holders: lock.holders.map((h) => ({
        ...h,
        leaseLeftMs: h.leaseLeftMs - ms,
        ...(h.heldMs === undefined ? {} : { heldMs: h.heldMs + ms }),
      })),
      waiters: lock.waiters.map((w) => ({ ...w, waitedMs: w.waitedMs + ms })),
    })),
  };
}
