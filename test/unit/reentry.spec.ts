import { afterEach, describe, expect, it } from '@jest/globals';
import {
  currentLock,
  type Lock,
  LockBackendError,
  LockLostError,
  LockManager,
  LockNotAcquiredError,
  MemoryLockBackend,
} from '../../lib/index.js';
import { sleep } from '../support/async.js';

/** Resolves once `check` is true, looking after each turn of the event loop. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

describe('LockManager re-entrancy (hold count)', () => {
  const managers: LockManager[] = [];
  const manager = (backend = new MemoryLockBackend()): LockManager => {
    const created = new LockManager({ backend });
    managers.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
  });

  it('keeps currentLock() on the re-entered lock inside the nested section', async () => {
    const locks = manager();
    await locks.using('k', async (outer) => {
      await locks.using('k', async () => {
        expect(currentLock()).toBe(outer);
      });
      expect(currentLock()).toBe(outer);
    });
  });

  it('refuses a waiting sibling with LockNotAcquiredError once its wait runs out', async () => {
    const locks = manager();
    const error = await locks
      .using('k', async () => {
        let release!: () => void;
        const busy = locks.using('k', () => new Promise<void>((resolve) => (release = resolve)));
        await until(() => release !== undefined);
        const refused = await locks.using('k', () => 'ran', { wait: 20 }).catch((e: unknown) => e);
        release();
        await busy;
        return refused;
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockNotAcquiredError);
    expect((error as LockNotAcquiredError).key).toBe('k');
    expect(await locks.isLocked('k')).toBe(false);
  });

  it('lets a sibling with wait: Infinity wait for its turn, however long', async () => {
    const locks = manager();
    const busy: string[] = [];
    locks.on('busy', (event) => busy.push(event.key));
    const order: string[] = [];
    await locks.using('k', async () => {
      let release!: () => void;
      const first = locks.using('k', async () => {
        order.push('first');
        await new Promise<void>((resolve) => (release = resolve));
      });
      await until(() => release !== undefined);
      const second = locks.using('k', () => order.push('second'), {
        wait: Number.POSITIVE_INFINITY,
      });
      // Well past the 1 ms an Infinity timer would really wait.
      await sleep(20);
      expect(order).toEqual(['first']);
      release();
      await Promise.all([first, second]);
    });
    expect(order).toEqual(['first', 'second']);
    expect(busy).toEqual([]);
  });

  it('emits a busy event for a sibling refused its turn', async () => {
    const locks = manager();
    const busy: string[] = [];
    locks.on('busy', (event) => busy.push(event.key));
    await locks.using('k', async () => {
      let release!: () => void;
      const first = locks.using('k', () => new Promise<void>((resolve) => (release = resolve)));
      await until(() => release !== undefined);
      await expect(locks.using('k', () => 'ran')).rejects.toBeInstanceOf(LockNotAcquiredError);
      release();
      await first;
    });
    expect(busy).toEqual(['k']);
  });

  it('ends a waiting sibling with its signal reason when the caller aborts, and lets the next one in', async () => {
    const locks = manager();
    const order: string[] = [];
    await locks.using('k', async () => {
      let release!: () => void;
      const busy = locks.using('k', () => new Promise<void>((resolve) => (release = resolve)));
      await until(() => release !== undefined);
      const controller = new AbortController();
      const aborted = locks.using('k', () => order.push('aborted ran'), {
        wait: 10_000,
        signal: controller.signal,
      });
      const next = locks.using('k', () => order.push('next ran'), { wait: 10_000 });
      controller.abort(new Error('caller gave up'));
      await expect(aborted).rejects.toThrow('caller gave up');
      release();
      await Promise.all([busy, next]);
    });
    expect(order).toEqual(['next ran']);
  });

  it('sends a waiting sibling to the store when the lock is released under it, with a new fencing token', async () => {
    const locks = manager();
    let outerToken = 0n;
    const siblingToken = await locks.using('k', async (outer) => {
      outerToken = outer.fencingToken;
      let release!: () => void;
      const busy = locks.using('k', () => new Promise<void>((resolve) => (release = resolve)));
      await until(() => release !== undefined);
      const sibling = locks.using('k', (lock) => lock.fencingToken, { wait: 10_000 });
      // Released by hand while a section still holds it: the waiter must not re-enter a dead lock.
      expect(await outer.release()).toBe(true);
      const token = await sibling;
      release();
      await busy;
      return token;
    });
    expect(siblingToken > outerToken).toBe(true);
    expect(await locks.isLocked('k')).toBe(false);
  });

  it('releases the lease when the last hold ends, however the holds interleave', async () => {
    const locks = manager();
    const rival = manager(locks.backend as MemoryLockBackend);
    let finishDetached!: () => void;
    let detached!: Promise<void>;
    await locks.using('k', async () => {
      detached = locks.using(
        'k',
        () => new Promise<void>((resolve) => (finishDetached = resolve)),
        { wait: 10_000 },
      );
      await until(() => finishDetached !== undefined);
    });
    expect(await rival.tryAcquire('k')).toBeNull();
    finishDetached();
    await detached;
    expect(await rival.tryAcquire('k')).not.toBeNull();
  });
});

describe('Lock signal', () => {
  it('aborts with reason "released" on release, without a lost event', async () => {
    const locks = new LockManager({ backend: new MemoryLockBackend() });
    const lost: string[] = [];
    locks.on('lost', (event) => lost.push(event.key));
    const lock = await locks.acquire('k');
    expect(lock.signal.aborted).toBe(false);
    await lock.release();
    expect(lock.signal.aborted).toBe(true);
    expect(lock.signal.reason).toBeInstanceOf(LockLostError);
    expect((lock.signal.reason as LockLostError).reason).toBe('released');
    expect(lost).toEqual([]);
    await locks.close();
  });

  it('aborts at once when its deadline has passed, before the renewal loop looks', async () => {
    // A clock without timers: the renewal loop's own timer runs on real time, a minute away.
    let now = 0;
    const clock = { now: () => now };
    const backend = new MemoryLockBackend({ clock: { now: () => 1_700_000_000_000 + now } });
    const locks = new LockManager({ backend, clock });
    const lost: string[] = [];
    locks.on('lost', (event) => lost.push(event.key));
    const lock: Lock = await locks.acquire('k', { ttl: 60_000, autoRenew: false });
    now += 61_000;
    expect(lock.signal.aborted).toBe(true);
    expect((lock.signal.reason as LockLostError).reason).toBe('expired');
    expect(lock.isHeld()).toBe(false);
    expect(lost).toEqual(['k']);
    expect(locks.heldCount).toBe(0);
    await locks.close();
  });

  it('keeps the ordinary nested re-entry free of store round trips', async () => {
    const backend = new MemoryLockBackend();
    let acquires = 0;
    const acquire = backend.acquire.bind(backend);
    backend.acquire = (...args) => {
      acquires++;
      return acquire(...args);
    };
    const locks = new LockManager({ backend });
    await locks.using('k', () =>
      locks.using('k', () => locks.using('k', () => sleep(1), { wait: 0 })),
    );
    expect(acquires).toBe(1);
    await locks.close();
  });

  it('releases a lock whose releaseAfter could not reach the store, instead of renewing it forever', async () => {
    const backend = new MemoryLockBackend();
    const locks = new LockManager({ backend });
    const lock = await locks.acquire('leader', { ttl: 30_000 });
    const released: string[] = [];
    const release = backend.release.bind(backend);
    backend.release = (key, owner) => {
      released.push(key);
      return release(key, owner);
    };
    backend.extend = () => Promise.reject(new Error('store down'));
    await expect(lock.releaseAfter(10_000)).rejects.toBeInstanceOf(LockBackendError);
    expect(lock.isHeld()).toBe(false);
    expect(locks.heldCount).toBe(0);
    expect(released).toEqual(['locker:leader']);
    await locks.close();
  });
});
