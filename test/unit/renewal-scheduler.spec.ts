import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { LockBackendError, type LockLostReason } from '../../lib/contract/errors.js';
import type { ExtendResult, LeaseToExtend } from '../../lib/contract/lock-backend.js';
import { leaseDeadline, renewalDueAt, renewalEarliestAt } from '../../lib/manager/lease-timing.js';
import type { RenewableLease } from '../../lib/manager/lock.js';
import { RenewalScheduler } from '../../lib/manager/renewal-scheduler.js';

/** A lease record as the scheduler sees it, with the same timing rules as the real handle. */
class FakeLease implements RenewableLease {
  readonly storeKeys: readonly string[];
  renewing = false;
  deadline: number;
  renewalDueAt: number;
  renewAfter: number;
  renewals = 0;
  constructor(
    readonly storeKey: string,
    readonly ttlMs: number,
    sentAt: number,
    readonly autoRenew = true,
    readonly owner = `owner-${storeKey}`,
  ) {
    this.storeKeys = [storeKey];
    this.deadline = 0;
    this.renewalDueAt = 0;
    this.renewAfter = 0;
    this.renewed(0, sentAt);
    this.renewals = 0;
  }
  renewed(_expiresAt: number, sentAt: number): void {
    this.renewals++;
    this.deadline = leaseDeadline(sentAt, this.ttlMs);
    this.renewalDueAt = this.autoRenew ? renewalDueAt(sentAt, this.ttlMs) : this.deadline;
    this.renewAfter = this.autoRenew
      ? renewalEarliestAt(this.renewalDueAt, this.ttlMs)
      : Number.POSITIVE_INFINITY;
  }
  retryRenewalAt(at: number): void {
    this.renewalDueAt = at;
    this.renewAfter = at;
  }
}

/** What the scheduler's extend would send to the store for `lease`. */
const asLeaseToExtend = ({ storeKey, owner, ttlMs }: FakeLease): LeaseToExtend => ({
  key: storeKey,
  owner,
  ttlMs,
});

describe('RenewalScheduler', () => {
  const clock = { now: () => Date.now() };
  let extendCalls: LeaseToExtend[][];
  let answer: (leases: readonly LeaseToExtend[]) => Promise<ExtendResult[]>;
  let lost: [string, LockLostReason][];
  let failed: number;
  let failedKeys: string[][];
  let scheduler: RenewalScheduler<FakeLease>;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    extendCalls = [];
    lost = [];
    failed = 0;
    failedKeys = [];
    answer = async (leases) => leases.map((lease) => clock.now() + lease.ttlMs);
    scheduler = new RenewalScheduler<FakeLease>(
      {
        extend: (leases) => {
          extendCalls.push(leases.map(asLeaseToExtend));
          return answer(leases.map(asLeaseToExtend));
        },
        lost: (lease, reason) => lost.push([lease.storeKey, reason]),
        failed: (leases) => {
          failed++;
          failedKeys.push(leases.map((lease) => lease.storeKey));
        },
      },
      clock,
    );
  });

  afterEach(() => {
    scheduler.stop();
    jest.useRealTimers();
  });

  it('extends every lease due at the same time in one batch, with one timer', async () => {
    for (let i = 0; i < 100; i++) scheduler.add(new FakeLease(`k${i}`, 3_000, clock.now()));
    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(999);
    expect(extendCalls).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(extendCalls).toHaveLength(1);
    expect(extendCalls[0]).toHaveLength(100);
    expect(extendCalls[0]![0]).toEqual({ key: 'k0', owner: 'owner-k0', ttlMs: 3_000 });
    expect(jest.getTimerCount()).toBe(1);
  });

  it('takes leases up to a sixth of their ttl early into the same batch', async () => {
    const a = new FakeLease('a', 6_000, clock.now());
    scheduler.add(a);
    await jest.advanceTimersByTimeAsync(900);
    const b = new FakeLease('b', 6_000, clock.now()); // due 900 ms after a, inside a's window
    scheduler.add(b);
    await jest.advanceTimersByTimeAsync(1_100); // a is due at 2 000
    expect(extendCalls).toHaveLength(1);
    expect(extendCalls[0]!.map((lease) => lease.key)).toEqual(['a', 'b']);
    expect(a.renewals).toBe(1);
    expect(b.renewals).toBe(1);
  });

  it('splits large renewals into batches of 256', async () => {
    for (let i = 0; i < 600; i++) scheduler.add(new FakeLease(`k${i}`, 3_000, clock.now()));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(extendCalls.map((batch) => batch.length)).toEqual([256, 256, 88]);
  });

  it('keeps renewing a lease over many ttls', async () => {
    const lease = new FakeLease('k', 300, clock.now());
    scheduler.add(lease);
    await jest.advanceTimersByTimeAsync(3_000);
    expect(lease.renewals).toBeGreaterThanOrEqual(10);
    expect(lost).toEqual([]);
    expect(scheduler.size).toBe(1);
  });

  it('reports a lease lost when the store says it no longer holds it', async () => {
    scheduler.add(new FakeLease('gone', 3_000, clock.now()));
    scheduler.add(new FakeLease('kept', 3_000, clock.now()));
    answer = async (leases) =>
      leases.map((lease) => (lease.key === 'gone' ? undefined : clock.now() + 3_000));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(lost).toEqual([['gone', 'not-held']]);
    expect(scheduler.leases().map((lease) => lease.storeKey)).toEqual(['kept']);
  });

  it('declares a lease lost at its deadline while its extend is still hanging', async () => {
    const lease = new FakeLease('hung', 3_000, clock.now());
    scheduler.add(lease);
    answer = () => new Promise<ExtendResult[]>(() => {});
    await jest.advanceTimersByTimeAsync(1_000);
    expect(extendCalls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(lease.deadline - clock.now() - 1);
    expect(lost).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(lost).toEqual([['hung', 'expired']]);
    expect(extendCalls).toHaveLength(1);
  });

  it('retries a failed renewal before the deadline and keeps the lease when it succeeds', async () => {
    const lease = new FakeLease('flaky', 3_000, clock.now());
    scheduler.add(lease);
    let calls = 0;
    answer = async (leases) => {
      calls++;
      if (calls === 1) throw new Error('connection reset');
      return leases.map(() => clock.now() + 3_000);
    };
    await jest.advanceTimersByTimeAsync(1_000);
    expect(failed).toBe(1);
    expect(lease.renewals).toBe(0);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(2);
    expect(lease.renewals).toBe(1);
    expect(lost).toEqual([]);
  });

  it('loses a lease whose renewals keep failing, at its deadline and not before', async () => {
    const lease = new FakeLease('down', 3_000, clock.now());
    scheduler.add(lease);
    answer = async () => {
      throw new Error('ECONNREFUSED');
    };
    await jest.advanceTimersByTimeAsync(lease.deadline - clock.now() - 1);
    expect(lost).toEqual([]);
    expect(failed).toBeGreaterThanOrEqual(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(lost).toEqual([['down', 'expired']]);
  });

  it('retries only the leases the backend answered with an error, and renews the others', async () => {
    const sick = new FakeLease('sick', 3_000, clock.now());
    const healthy = new FakeLease('healthy', 3_000, clock.now());
    scheduler.add(sick);
    scheduler.add(healthy);
    const masterDown = new LockBackendError('redis', 'extend', 'sick', 'no answer within 800 ms');
    answer = async (leases) =>
      leases.map((lease) => (lease.key === 'sick' ? masterDown : clock.now() + 3_000));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(failedKeys).toEqual([['sick']]);
    expect(healthy.renewals).toBe(1);
    expect(sick.renewals).toBe(0);
    // The sick lease is retried alone, before its deadline, and lost at it; the other one is kept
    // on its usual schedule for several ttls.
    const sickDeadline = sick.deadline;
    await jest.advanceTimersByTimeAsync(sickDeadline - clock.now() - 1);
    expect(lost).toEqual([]);
    const retries = extendCalls.filter((call) => call.some((lease) => lease.key === 'sick'));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(failedKeys.every((keys) => keys.length === 1 && keys[0] === 'sick')).toBe(true);
    await jest.advanceTimersByTimeAsync(1);
    expect(lost).toEqual([['sick', 'expired']]);
    await jest.advanceTimersByTimeAsync(9_000);
    expect(lost).toEqual([['sick', 'expired']]);
    expect(healthy.renewals).toBeGreaterThanOrEqual(4);
    expect(scheduler.leases()).toEqual([healthy]);
  });

  it('reports each distinct per-lease error once, with the leases it cost', async () => {
    for (const key of ['a1', 'a2', 'b1', 'ok'])
      scheduler.add(new FakeLease(key, 3_000, clock.now()));
    const onA = new LockBackendError('redis', 'extend', undefined, 'master A timed out');
    const onB = new LockBackendError('redis', 'extend', 'b1', 'master B timed out');
    answer = async (leases) =>
      leases.map((lease) =>
        lease.key.startsWith('a') ? onA : lease.key === 'b1' ? onB : clock.now() + 3_000,
      );
    await jest.advanceTimersByTimeAsync(1_000);
    expect(failedKeys.map((keys) => [...keys].sort())).toEqual([['a1', 'a2'], ['b1']]);
    expect(lost).toEqual([]);
  });

  it('extends the leases of each part of the store in calls of their own, so a silent part delays none of the others', async () => {
    const partitioned = new RenewalScheduler<FakeLease>(
      {
        extend: (leases) => {
          extendCalls.push(leases.map(asLeaseToExtend));
          return answer(leases.map(asLeaseToExtend));
        },
        lost: (lease, reason) => lost.push([lease.storeKey, reason]),
        failed: () => {
          failed++;
        },
        partitionOf: (lease) => lease.storeKey.split(':')[0],
      },
      clock,
    );
    const leases = ['a:1', 'b:1', 'a:2', 'c:1'].map(
      (key) => new FakeLease(key, 3_000, clock.now()),
    );
    for (const lease of leases) partitioned.add(lease);
    // The master of "b:" never answers; the others answer at once.
    answer = (batch) =>
      batch[0]!.key.startsWith('b:')
        ? new Promise<ExtendResult[]>(() => {})
        : Promise.resolve(batch.map(() => clock.now() + 3_000));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(extendCalls.map((call) => call.map((lease) => lease.key))).toEqual([
      ['a:1', 'a:2'],
      ['b:1'],
      ['c:1'],
    ]);
    expect(leases.map((lease) => lease.renewals)).toEqual([1, 0, 1, 1]);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(lost).toEqual([['b:1', 'expired']]);
    expect(
      partitioned
        .leases()
        .map((lease) => lease.storeKey)
        .sort(),
    ).toEqual(['a:1', 'a:2', 'c:1']);
    partitioned.stop();
  });

  it('never extends a lease without autoRenew and reports it expired at its deadline', async () => {
    const lease = new FakeLease('once', 3_000, clock.now(), false);
    scheduler.add(lease);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(extendCalls).toHaveLength(0);
    expect(lost).toEqual([['once', 'expired']]);
  });

  it('forgets a deleted lease without touching the store again', async () => {
    const lease = new FakeLease('released', 3_000, clock.now());
    scheduler.add(lease);
    scheduler.delete(lease);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(extendCalls).toHaveLength(0);
    expect(lost).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('ignores the answer for a lease released while its extend was in flight', async () => {
    const lease = new FakeLease('k', 3_000, clock.now());
    scheduler.add(lease);
    let finish: (results: ExtendResult[]) => void = () => {};
    answer = () => new Promise((resolve) => (finish = resolve));
    await jest.advanceTimersByTimeAsync(1_000);
    scheduler.delete(lease);
    finish([undefined]);
    await jest.advanceTimersByTimeAsync(0);
    expect(lost).toEqual([]);
  });
});
