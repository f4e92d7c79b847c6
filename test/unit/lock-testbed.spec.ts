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
