import { afterEach, describe, expect, it } from '@jest/globals';
import { LockLostError, LockManager, MemoryLockBackend } from '../../lib/index.js';
import { ManualClock } from '../../lib/testing/index.js';

describe('ManualClock', () => {
  const managers: LockManager[] = [];
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
  });

  /** Two managers (instances) on one memory store, all on one manual clock. */
  function setup() {
    const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
    const backend = new MemoryLockBackend({ clock });
    const [a, b] = [0, 1].map(() => new LockManager({ backend, clock }));
    managers.push(a!, b!);
    return { clock, a: a!, b: b! };
  }

  it('expires a lease without real waiting: an hour-long ttl runs out on advance()', async () => {
    const { clock, a, b } = setup();
    const lock = await a.acquire('report', { ttl: '1h', autoRenew: false });
    await clock.advance('59m');
    expect(lock.signal.aborted).toBe(false);
    expect(await b.tryAcquire('report')).toBeNull();
    await clock.advance('1m');
    expect(lock.signal.aborted).toBe(true);
    expect((lock.signal.reason as LockLostError).reason).toBe('expired');
    expect(await a.isLocked('report')).toBe(false);
    const next = await b.tryAcquire('report');
    expect(next!.fencingToken > lock.fencingToken).toBe(true);
  });

  it('drives renewals: a renewed lock outlives many ttls of manual time, and is lost when the store drops it', async () => {
    const { clock, a, b } = setup();
    const lock = await a.acquire('leader', { ttl: '30s' });
    await clock.advance('10m');
    expect(lock.isHeld()).toBe(true);
    expect(lock.expiresAt.getTime()).toBeGreaterThan(clock.now());
    expect(await b.tryAcquire('leader')).toBeNull();
    // The store forgets the lease: the next renewal (within ttl/3) finds it gone.
    await a.backend.release(`locker:leader`, lock.owner);
    await clock.advance('10s');
    expect((lock.signal.reason as LockLostError).reason).toBe('not-held');
  });

  it('wakes a waiter when the holder it waits on expires', async () => {
    const { clock, a, b } = setup();
    const held = await a.acquire('k', { ttl: '5s', autoRenew: false });
    let acquired = false;
    const waiting = b.acquire('k', { wait: '1m' }).then((lock) => {
      acquired = true;
      return lock;
    });
    await clock.advance('4s');
    expect(acquired).toBe(false);
    await clock.advance('2s');
    expect(acquired).toBe(true);
    expect((await waiting).fencingToken > held.fencingToken).toBe(true);
  });

  it('only moves forward', async () => {
    const clock = new ManualClock(1_000);
    await expect(clock.advanceTo(500)).rejects.toMatchObject({ field: 'time' });
    await expect(clock.advance(-1)).rejects.toMatchObject({ field: 'by' });
    await clock.advanceTo(new Date(2_000));
    expect(clock.now()).toBe(2_000);
  });
});
