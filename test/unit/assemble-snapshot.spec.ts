import { describe, expect, it } from '@jest/globals';
import type { InstanceRecord, ListedLease } from '../../lib/contract/lock-directory.js';
import { assembleSnapshot, type SnapshotSources } from '../../lib/dashboard/assemble-snapshot.js';
import type { InstanceRecordPayload } from '../../lib/manager/instance-record.js';

const NOW = 1_800_000_000_000;

function record(id: string, payload: Partial<InstanceRecordPayload>): InstanceRecord {
  const full: InstanceRecordPayload = {
    v: 1,
    app: 'shop',
    host: `host-${id}`,
    pid: 100,
    startedAt: NOW - 60_000,
    writtenAt: NOW - 500,
    held: [],
    waiting: [],
    events: [],
    cron: [],
    ...payload,
  };
  return { id, payload: JSON.stringify(full), expiresAt: NOW + 5_000 };
}

function lease(key: string, owner: string, token: bigint, kind: ListedLease['kind'] = 'mutex') {
  return { key: `locker:${key}`, owner, fencingToken: token, expiresAt: NOW + 7_000, kind };
}

function sources(over: Partial<SnapshotSources>): SnapshotSources {
  return {
    prefix: 'locker:',
    backend: 'redis',
    canList: true,
    servedBy: 'aaa',
    canForceRelease: false,
    leases: [],
    truncated: false,
    now: NOW,
    records: [],
    recordsNow: NOW,
    localNow: NOW,
    ...over,
  };
}

describe('assembleSnapshot', () => {
  it('names each holder by the instance its owner token starts with, with its hold time from that instance’s record', () => {
    const snapshot = assembleSnapshot(
      sources({
        leases: [lease('order:1', 'aaa-0123', 41n), lease('order:2', 'ccc-9999', 42n)],
        records: [
          record('aaa', { held: [{ keys: ['order:1'], token: '41', since: NOW - 3_000 }] }),
        ],
      }),
    );
    expect(snapshot.locks).toEqual([
      {
        key: 'order:1',
        kind: 'mutex',
        holders: [
          {
            instanceId: 'aaa',
            alive: true,
            app: 'shop',
            host: 'host-aaa',
            pid: 100,
            fencingToken: '41',
            heldMs: 3_000,
            leaseLeftMs: 7_000,
          },
        ],
        waiters: [],
      },
      {
        // Its instance has no live record: it died, and its lease runs out.
        key: 'order:2',
        kind: 'mutex',
        holders: [{ instanceId: 'ccc', alive: false, fencingToken: '42', leaseLeftMs: 7_000 }],
        waiters: [],
      },
    ]);
    expect(snapshot.instances).toEqual([
      {
        id: 'aaa',
        app: 'shop',
        host: 'host-aaa',
        pid: 100,
        startedAt: NOW - 60_000,
        recordLeftMs: 5_000,
      },
    ]);
  });

  it('lists waiters under each key they wait for, oldest first, and keys only waited for', () => {
    const snapshot = assembleSnapshot(
      sources({
        leases: [lease('pool', 'aaa-1', 5n, 'permit'), lease('pool', 'bbb-1', 6n, 'permit')],
        records: [
          record('aaa', {
            waiting: [{ keys: ['pool'], since: NOW - 1_000, fair: false, permits: 2 }],
          }),
          record('bbb', {
            waiting: [
              { keys: ['pool'], since: NOW - 2_000, fair: false, permits: 2 },
              { keys: ['a', 'b'], since: NOW - 10, fair: true },
            ],
          }),
        ],
      }),
    );
    const pool = snapshot.locks.find((lock) => lock.key === 'pool')!;
    expect(pool.kind).toBe('semaphore');
    expect(pool.permits).toBe(2);
    expect(pool.holders.map((holder) => holder.instanceId)).toEqual(['aaa', 'bbb']);
    expect(pool.waiters.map((waiter) => [waiter.instanceId, waiter.waitedMs])).toEqual([
      ['bbb', 2_000],
      ['aaa', 1_000],
    ]);
    expect(snapshot.locks.map((lock) => lock.key)).toEqual(['a', 'b', 'pool']);
    expect(snapshot.locks[0]!.holders).toEqual([]);
    expect(snapshot.locks[0]!.waiters[0]!.fair).toBe(true);
  });

  it('shows leaders from leader: keys, and marks cron run locks', () => {
    const snapshot = assembleSnapshot(
      sources({
        leases: [lease('leader:billing', 'bbb-1', 9n), lease('cron:nightly', 'aaa-2', 3n)],
        records: [
          record('bbb', { held: [{ keys: ['leader:billing'], token: '9', since: NOW - 42_000 }] }),
        ],
      }),
    );
    expect(snapshot.leaders).toEqual([
      { election: 'billing', instanceId: 'bbb', since: NOW - 42_000, fencingToken: '9' },
    ]);
    expect(snapshot.locks.map((lock) => [lock.key, lock.role])).toEqual([
      ['cron:nightly', 'cron-run'],
      ['leader:billing', 'leader'],
    ]);
  });

  it('merges every instance’s cron ticks, and takes a claim still in the store for an unreported tick', () => {
    const snapshot = assembleSnapshot(
      sources({
        leases: [
          lease('cron:nightly:1799999940000', 'ccc-1', 7n),
          // Claimed by bbb, which reported that its previous run still held the job.
          lease('cron:nightly:1799999760000', 'bbb-1', 6n),
        ],
        records: [
          record('aaa', {
            cron: [
              {
                job: 'nightly',
                ticks: [
                  { at: 1_799_999_880_000, outcome: 'succeeded', durationMs: 120 },
                  { at: 1_799_999_820_000, outcome: 'claimed-elsewhere' },
                ],
              },
            ],
          }),
          record('bbb', {
            cron: [
              {
                job: 'nightly',
                ticks: [
                  { at: 1_799_999_880_000, outcome: 'claimed-elsewhere' },
                  { at: 1_799_999_820_000, outcome: 'failed', durationMs: 5, error: 'boom' },
                  { at: 1_799_999_760_000, outcome: 'previous-running' },
                ],
              },
            ],
          }),
        ],
      }),
    );
    expect(snapshot.locks).toEqual([]);
    expect(snapshot.crons).toEqual([
      {
        name: 'nightly',
        ticks: [
          { at: 1_799_999_940_000, ranBy: 'ccc', outcome: 'running', skippedBy: [] },
          {
            at: 1_799_999_880_000,
            ranBy: 'aaa',
            outcome: 'succeeded',
            durationMs: 120,
            skippedBy: ['bbb'],
          },
          {
            at: 1_799_999_820_000,
            ranBy: 'bbb',
            outcome: 'failed',
            durationMs: 5,
            error: 'boom',
            skippedBy: ['aaa'],
          },
          {
            at: 1_799_999_760_000,
            ranBy: null,
            outcome: 'skipped',
            claimedBy: 'bbb',
            skippedBy: [],
          },
        ],
      },
    ]);
  });

  it('merges events newest first, and ignores a record it cannot read', () => {
    const snapshot = assembleSnapshot(
      sources({
        records: [
          record('aaa', { events: [{ at: NOW - 5, type: 'lost', key: 'k', message: 'expired' }] }),
          record('bbb', {
            events: [{ at: NOW - 1, type: 'forceReleased', key: 'k', message: 'by admin' }],
          }),
          { id: 'zzz', payload: '{"v":2}', expiresAt: NOW + 1 },
          { id: 'yyy', payload: 'not json', expiresAt: NOW + 1 },
        ],
      }),
    );
    expect(snapshot.events.map((event) => [event.instanceId, event.type])).toEqual([
      ['bbb', 'forceReleased'],
      ['aaa', 'lost'],
    ]);
    expect(snapshot.instances.map((instance) => instance.id)).toEqual(['aaa', 'bbb']);
  });
});
