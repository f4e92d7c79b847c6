import { afterEach, describe, expect, it, jest } from '@jest/globals';
import {
  currentLock,
  type LockBackend,
  LockBackendError,
  type LockLostError,
  LockManager,
  LockManagerClosedError,
  MemoryLockBackend,
} from '../../lib/index.js';
import { interceptBackend, ManualClock } from '../../lib/testing/index.js';
import { aborted } from '../support/async.js';

/** A memory store whose clock the test moves by hand. */
function manualStore() {
  let now = 1_700_000_000_000;
  const backend = new MemoryLockBackend({ clock: { now: () => now } });
  return { backend, advance: (ms: number) => (now += ms) };
}

describe('LockManager', () => {
  const managers: LockManager[] = [];
  const manager = (backend: LockBackend = new MemoryLockBackend()): LockManager => {
    const created = new LockManager({ backend });
    managers.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
  });

  it('re-enters a lock it holds in the same call chain instead of waiting for itself', async () => {
    const locks = manager();
    const result = await locks.using(
      'order:1',
      async (outer) =>
        locks.using('order:1', async (inner) => {
          expect(inner).toBe(outer);
          return 'done';
        }),
      { wait: 1_000 },
    );
    expect(result).toBe('done');
    expect(await locks.isLocked('order:1')).toBe(false);
  });

  it('does not let a concurrent, unrelated call chain re-enter', async () => {
    const locks = manager();
    let unrelated: unknown;
    await locks.using('k', async () => {
      // Started outside the using() chain: no held-lock context, so it must not get in.
      unrelated = await new Promise((resolve) => {
        setImmediate(() => locks.tryAcquire('k').then(resolve));
      });
    });
    expect(unrelated).toBeNull();
  });

  it('exposes the innermost held lock through currentLock()', async () => {
    const locks = manager();
    expect(currentLock()).toBeUndefined();
    await locks.using('outer', async (outer) => {
      expect(currentLock()).toBe(outer);
      await locks.using('inner', async (inner) => {
        expect(currentLock()).toBe(inner);
        expect(currentLock()!.fencingToken).toBe(inner.fencingToken);
      });
      expect(currentLock()).toBe(outer);
    });
    expect(currentLock()).toBeUndefined();
  });

  it('releases in using() when the function throws, and rethrows its error', async () => {
    const locks = manager();
    await expect(
      locks.using('k', async () => {
        throw new Error('business failure');
      }),
    ).rejects.toThrow('business failure');
    expect(await locks.isLocked('k')).toBe(false);
  });

  it('releases a lock at the end of an `await using` block', async () => {
    const locks = manager();
    {
      await using lock = await locks.acquire('scoped');
      expect(lock.isHeld()).toBe(true);
      expect(await locks.isLocked('scoped')).toBe(true);
    }
    expect(await locks.isLocked('scoped')).toBe(false);
  });

  it('returns null from tryAcquire when the key is busy', async () => {
    const backend = new MemoryLockBackend();
    const [a, b] = [manager(backend), manager(backend)];
    const held = await a.acquire('k');
    expect(await b.tryAcquire('k')).toBeNull();
    await held.release();
    expect(await b.tryAcquire('k')).not.toBeNull();
  });

  it('expires a lease by the store clock, without waiting in real time', async () => {
    const { backend, advance } = manualStore();
    const [a, b] = [manager(backend), manager(backend)];
    await a.acquire('k', { ttl: 60_000, autoRenew: false });
    expect(await b.tryAcquire('k')).toBeNull();
    advance(60_000);
    const taken = await b.tryAcquire('k');
    expect(taken).not.toBeNull();
  });

  it('releaseAfter stops renewing and keeps the key taken until the lease runs out', async () => {
    const { backend, advance } = manualStore();
    const [holder, rival] = [manager(backend), manager(backend)];
    const lock = await holder.acquire('k', { ttl: 60_000 });
    expect(await lock.releaseAfter(5_000)).toBe(true);
    expect(lock.isHeld()).toBe(false);
    expect(holder.heldCount).toBe(0);
    expect(await rival.tryAcquire('k')).toBeNull();
    expect((await rival.inspect('k'))!.expiresAt.getTime()).toBeLessThan(Date.now() + 60_000);
    advance(5_000);
    expect(await rival.tryAcquire('k')).not.toBeNull();
    expect(await lock.releaseAfter(1_000)).toBe(false);
    expect(await lock.release()).toBe(false);
  });

  it('emits acquired, released and lost events', async () => {
    const backend = new MemoryLockBackend();
    const locks = manager(backend);
    const seen: string[] = [];
    const events = ['acquired', 'released', 'lost'] as const;
    for (const name of events) locks.on(name, (event) => seen.push(`${name}:${event.key}`));
    const lock = await locks.acquire('k', { ttl: 600 });
    await lock.release();
    const stolen = await locks.acquire('s', { ttl: 600 });
    await backend.release('locker:s', stolen.owner);
    await aborted(stolen.signal, 5_000);
    expect(seen).toEqual(['acquired:k', 'released:k', 'acquired:s', 'lost:s']);
  });

  it('reports the wait time of acquires and busy attempts, and the hold time of releases and losses', async () => {
    const clock = new ManualClock();
    const backend = new MemoryLockBackend({ clock });
    const locks = new LockManager({ backend, clock });
    managers.push(locks);
    const seen: unknown[] = [];
    locks.on('acquired', ({ key, waitedMs }) => seen.push({ acquired: key, waitedMs }));
    locks.on('busy', ({ key, waitedMs, retryAfterMs }) =>
      seen.push({ busy: key, waitedMs, retryAfterMs }),
    );
    locks.on('released', ({ key, heldMs }) => seen.push({ released: key, heldMs }));
    locks.on('lost', ({ key, heldMs }) => seen.push({ lost: key, heldMs }));

    const lock = await locks.acquire('k', { ttl: 10_000 });
    await clock.advance(1_500);
    expect(await locks.tryAcquire('k')).toBeNull();
    const waiting = locks.acquire('k', { wait: 2_000 });
    await clock.advance(250);
    await lock.release();
    const next = await waiting;
    await clock.advance(700);
    await backend.release('locker:k', next.owner);
    await clock.advance(10_000);
    expect(seen).toEqual([
      { acquired: 'k', waitedMs: 0 },
      { busy: 'k', waitedMs: 0, retryAfterMs: 8_500 },
      { released: 'k', heldMs: 1_750 },
      { acquired: 'k', waitedMs: 250 },
      { lost: 'k', heldMs: expect.any(Number) },
    ]);
    // Lost at its next renewal, a third of the ttl after it was taken.
    expect((seen[4] as { heldMs: number }).heldMs).toBeGreaterThanOrEqual(700);
    expect((seen[4] as { heldMs: number }).heldMs).toBeLessThanOrEqual(10_000);
  });

  it('survives a throwing event listener, reporting it as a process warning', async () => {
    const backend = new MemoryLockBackend();
    const locks = manager(backend);
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    locks.on('lost', () => {
      throw new Error('listener bug');
    });
    const lock = await locks.acquire('k', { ttl: 300 });
    await backend.release('locker:k', lock.owner);
    await aborted(lock.signal, 5_000);
    expect(String(warn.mock.calls[0]?.[0])).toContain('listener bug');
    warn.mockRestore();
    const next = await locks.acquire('k');
    expect(next.isHeld()).toBe(true);
  });

  it('on close, releases held locks, aborts their signals and refuses new locks', async () => {
    const backend = new MemoryLockBackend();
    const locks = new LockManager({ backend });
    const observer = manager(backend);
    const lock = await locks.acquire('k');
    await locks.close();
    expect(lock.signal.aborted).toBe(true);
    expect((lock.signal.reason as LockLostError).reason).toBe('closed');
    expect(await observer.isLocked('k')).toBe(false);
    await expect(locks.acquire('other')).rejects.toBeInstanceOf(LockManagerClosedError);
    await expect(locks.close()).resolves.toBeUndefined();
  });

  it('aborts a signal read before the release on release, and gives an aborted one after it', async () => {
    const locks = manager();
    const early = await locks.acquire('early');
    const signal = early.signal;
    expect(signal.aborted).toBe(false);
    await early.release();
    expect(signal.aborted).toBe(true);
    expect((signal.reason as LockLostError).reason).toBe('released');
    const late = await locks.acquire('late');
    await late.release();
    expect(late.signal.aborted).toBe(true);
    expect((late.signal.reason as LockLostError).reason).toBe('released');
    expect(late.signal).toBe(late.signal);
    expect((late.signal.reason as LockLostError).key).toBe('late');
  });

  it('on close, ends the acquires still waiting with LockManagerClosedError', async () => {
    const backend = new MemoryLockBackend();
    const holder = manager(backend);
    const locks = new LockManager({ backend });
    await holder.acquire('k');
    const plain = locks.acquire('k', { wait: 60_000 }).catch((e: unknown) => e);
    const user = new AbortController();
    const withSignal = locks
      .acquire('k', { wait: 60_000, signal: user.signal })
      .catch((e: unknown) => e);
    const fair = locks.acquire('k', { wait: 60_000, fair: true }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await locks.close();
    for (const outcome of await Promise.all([plain, withSignal, fair])) {
      expect(outcome).toBeInstanceOf(LockManagerClosedError);
      expect((outcome as LockManagerClosedError).key).toBe('k');
    }
    expect(user.signal.aborted).toBe(false);
    expect(await holder.isLocked('k')).toBe(true);
  });

  it('rejects at once when the signal is already aborted, taking nothing', async () => {
    const locks = manager();
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(locks.acquire('k', { signal: controller.signal })).rejects.toThrow('cancelled');
    expect(await locks.isLocked('k')).toBe(false);
  });

  it('stops waiting when the signal aborts', async () => {
    const backend = new MemoryLockBackend();
    const [a, b] = [manager(backend), manager(backend)];
    await a.acquire('k');
    const controller = new AbortController();
    const waiting = b.acquire('k', { wait: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('request closed')), 50);
    await expect(waiting).rejects.toThrow('request closed');
  });

  it('a waiter on a key others wait on subscribes before its only attempt, and is listed from its miss', async () => {
    let attempts = 0;
    const backend = interceptBackend(new MemoryLockBackend(), (call, proceed) => {
      if (call.method === 'acquire') attempts++;
      return proceed();
    });
    // Two managers, so that the waits are not re-entries of the holder's call chain.
    const [holder, locks] = [manager(backend), manager(backend)];
    const held = await holder.acquire('busy', { ttl: 30_000 });
    // Nobody waits yet: attempt, miss, subscribe, attempt again (a release in between is covered).
    const first = locks.acquire('busy', { wait: 60_000 });
    while (locks.waiting().length < 1) await new Promise((resolve) => setImmediate(resolve));
    while (attempts < 3) await new Promise((resolve) => setImmediate(resolve));
    expect(backend.subscribed?.(`${locks.keyPrefix}busy`)).toBe(true);
    expect(backend.subscribed?.(`${locks.keyPrefix}idle`)).toBe(false);
    // Someone waits: subscribe, then one attempt; its miss lists it.
    const second = locks.acquire('busy', { wait: 60_000 });
    while (locks.waiting().length < 2) await new Promise((resolve) => setImmediate(resolve));
    expect(attempts).toBe(4);
    await held.release();
    const next = await Promise.race([first, second]);
    await next.release();
    const both = await Promise.all([first, second]);
    expect(both).toContain(next);
    await both.find((lock) => lock !== next)!.release();
    expect(locks.waiting()).toEqual([]);
    expect(backend.subscribed?.(`${locks.keyPrefix}busy`)).toBe(false);
  });

  describe('when the store fails', () => {
    const failing = (operation: keyof LockBackend, calls: string[] = []): LockBackend => {
      const inner = new MemoryLockBackend();
      return {
        name: 'flaky',
        acquire: async (key, owner, ttl) => {
          calls.push(`acquire:${owner}`);
          if (operation === 'acquire') throw new Error('connection reset');
          return inner.acquire(key, owner, ttl);
        },
        extend: (leases) => inner.extend(leases),
        release: async (key, owner) => {
          calls.push(`release:${owner}`);
          if (operation === 'release') throw new Error('connection reset');
          return inner.release(key, owner);
        },
        inspect: async (key) => {
          if (operation === 'inspect') throw new Error('connection reset');
          return inner.inspect(key);
        },
        close: () => inner.close(),
      };
    };

    it('wraps an acquire failure in LockBackendError and releases under the same owner token', async () => {
      const calls: string[] = [];
      const locks = manager(failing('acquire', calls));
      const error = (await locks.acquire('k').catch((e: unknown) => e)) as LockBackendError;
      expect(error).toBeInstanceOf(LockBackendError);
      expect(error.code).toBe('LOCK_BACKEND_ERROR');
      expect(error.operation).toBe('acquire');
      expect(error.key).toBe('k');
      expect((error.cause as Error).message).toBe('connection reset');
      expect(calls).toHaveLength(2);
      expect(calls[1]).toBe(calls[0]!.replace('acquire', 'release'));
    });

    it('reports a failed release from using() as an event, returning the result', async () => {
      const locks = manager(failing('release'));
      const failures: LockBackendError[] = [];
      locks.on('releaseFailed', (event) => failures.push(event.error));
      await expect(locks.using('k', async () => 42)).resolves.toBe(42);
      expect(failures).toHaveLength(1);
      expect(failures[0]!.operation).toBe('release');
    });

    it('rejects a failed explicit release with LockBackendError', async () => {
      const locks = manager(failing('release'));
      const lock = await locks.acquire('k');
      await expect(lock.release()).rejects.toBeInstanceOf(LockBackendError);
    });

    it('wraps an inspect failure in LockBackendError', async () => {
      const locks = manager(failing('inspect'));
      await expect(locks.inspect('k')).rejects.toMatchObject({
        code: 'LOCK_BACKEND_ERROR',
        operation: 'inspect',
      });
    });
  });
});
