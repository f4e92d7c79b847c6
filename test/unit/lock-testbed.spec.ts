import { describe, expect, it } from '@jest/globals';
import {
  InvalidLockOptionsError,
  LockBackendError,
  LockLostError,
  LockManager,
  MemoryLockBackend,
} from '../../lib/index.js';
import { LockTestbed, ManualClock } from '../../lib/testing/index.js';

describe('LockTestbed.isolate', () => {
  it('cuts an instance off: its lease runs out, another takes over, its signal aborts; reconnect undoes it', async () => {
    const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
    const testbed = new LockTestbed({ clock });
    const a = testbed.manager();
    const b = testbed.manager();
    const lock = await a.acquire('job', { ttl: 3_000 });

    testbed.isolate(a);
    await expect(a.acquire('other')).rejects.toBeInstanceOf(LockBackendError);
    await clock.advance(1_500); // renewal falls due and fails
    expect(await b.tryAcquire('job')).toBeNull(); // the store still has the lease
    expect(lock.signal.aborted).toBe(false);

    await clock.advance(2_000); // past the ttl: gone on the store, and past the local deadline
    expect(lock.signal.aborted).toBe(true);
    expect((lock.signal.reason as LockLostError).reason).toBe('expired');
    const taken = await b.acquire('job');
    expect(taken.fencingToken).toBeGreaterThan(lock.fencingToken);

    testbed.reconnect(a);
    expect(await a.isLocked('job')).toBe(true);
    expect(await a.tryAcquire('job')).toBeNull();
    await Promise.all([a.close(), b.close()]);
    await testbed.close();
  });

  it('refuses a manager that is not one of its instances', () => {
    const testbed = new LockTestbed();
    const stranger = new LockManager({ backend: new MemoryLockBackend() });
    expect(() => testbed.isolate(stranger)).toThrow(InvalidLockOptionsError);
    expect(() => testbed.reconnect(stranger.backend)).toThrow(InvalidLockOptionsError);
  });
});

describe('LockTestbed instances', () => {
  it('offer fair locks, semaphores and several keys across instances', async () => {
    const testbed = new LockTestbed();
    const [a, b, c] = [testbed.manager(), testbed.manager(), testbed.manager()];
    const first = await a.acquire('queue', { fair: true });
    const waiting = b.acquire('queue', { fair: true, wait: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await first.release();
    // Handed to b on release: c cannot take it even though nobody else asked.
    expect(await c.tryAcquire('queue')).toBeNull();
    await (await waiting).release();

    const permits = [
      await a.acquire('pool', { permits: 2 }),
      await b.acquire('pool', { permits: 2 }),
    ];
    expect(await c.tryAcquire('pool', { permits: 2 })).toBeNull();
    await permits[0]!.release();
    expect(await c.tryAcquire('pool', { permits: 2 })).not.toBeNull();

    const both = await a.acquire(['x', 'y']);
    expect(await b.tryAcquire('y')).toBeNull();
    await both.release();
    expect(await b.tryAcquire('y')).not.toBeNull();
    await Promise.all([a.close(), b.close(), c.close()]);
    await testbed.close();
  });
});
