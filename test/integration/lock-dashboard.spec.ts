import { afterEach, describe, expect, it } from '@jest/globals';
import {
  InvalidLockOptionsError,
  type LockBackend,
  LockDashboard,
  LockLostError,
  LockManager,
  MemoryLockBackend,
} from '../../lib/index.js';
import { interceptBackend } from '../../lib/testing/index.js';
import { aborted, eventually } from '../support/async.js';

/** One store for several "instances": each manager gets a view whose close leaves it open. */
function sharedStore(): { view: () => LockBackend; store: MemoryLockBackend } {
  const store = new MemoryLockBackend();
  return {
    store,
    view: () =>
      interceptBackend(store, (call, proceed) =>
        call.method === 'close' ? Promise.resolve() : proceed(),
      ),
  };
}

/** A backend that cannot list: the memory backend without its directory. */
function withoutDirectory(backend: LockBackend): LockBackend {
  const view = interceptBackend(backend, (_call, proceed) => proceed());
  return Object.assign(Object.create(Object.getPrototypeOf(view) as object), view, {
    directory: undefined,
  }) as LockBackend;
}

describe('LockDashboard', () => {
  const managers: LockManager[] = [];
  const manager = (backend: LockBackend, instanceId: string, presence = true): LockManager => {
    const created = new LockManager({
      backend,
      instanceId,
      presence: presence && { appName: `app-${instanceId}`, interval: 500 },
    });
    managers.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((each) => each.close()));
  });

  it('shows which instance holds each lock, who waits for it, and every live instance', async () => {
    const { view } = sharedStore();
    const [a, b] = [manager(view(), 'alpha'), manager(view(), 'beta')];
    const held = await a.acquire('order:1', { ttl: 10_000 });
    const waiting = b.acquire('order:1', { wait: 30_000 });
    await eventually(() => b.waiting().length === 1);
    await b.refreshPresence();
    await a.refreshPresence();

    const snapshot = await new LockDashboard(b).snapshot();
    expect(snapshot.canList).toBe(true);
    expect(snapshot.servedBy).toBe('beta');
    expect(snapshot.instances.map((instance) => [instance.id, instance.app])).toEqual([
      ['alpha', 'app-alpha'],
      ['beta', 'app-beta'],
    ]);
    const order = snapshot.locks.find((lock) => lock.key === 'order:1')!;
    expect(order.holders).toHaveLength(1);
    expect(order.holders[0]).toMatchObject({
      instanceId: 'alpha',
      alive: true,
      app: 'app-alpha',
      pid: process.pid,
      fencingToken: held.fencingToken.toString(),
    });
    expect(order.holders[0]!.leaseLeftMs).toBeGreaterThan(0);
    expect(order.holders[0]!.heldMs).toBeGreaterThanOrEqual(0);
    expect(order.waiters.map((waiter) => waiter.instanceId)).toEqual(['beta']);
    // No owner token leaves the server.
    expect(
      JSON.stringify(snapshot, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
    ).not.toContain('alpha-');

    await held.release();
    const next = await waiting;
    expect(next.fencingToken).toBeGreaterThan(held.fencingToken);
    await next.release();
  });

  it('force-releases a lock: the old holder’s signal aborts, the next holder gets a larger token, an event is recorded', async () => {
    const { view } = sharedStore();
    const [a, b] = [manager(view(), 'alpha'), manager(view(), 'beta')];
    const stuck = await a.acquire('report', { ttl: 3_000 });
    const dashboard = new LockDashboard(b, { canForceRelease: true });

    const outcome = await dashboard.forceRelease('report', 'ops@example');
    expect(outcome).toEqual({
      key: 'report',
      released: 1,
      fencingTokens: [stuck.fencingToken.toString()],
    });
    const next = await b.acquire('report', { ttl: 3_000 });
    expect(next.fencingToken).toBeGreaterThan(stuck.fencingToken);
    // The old holder learns at its next renewal (about a third of its ttl).
    const reason = await aborted(stuck.signal, 10_000);
    expect(reason).toBeInstanceOf(LockLostError);

    const snapshot = await dashboard.snapshot();
    expect(snapshot.events[0]).toMatchObject({
      instanceId: 'beta',
      type: 'forceReleased',
      key: 'report',
    });
    expect(snapshot.events[0]!.message).toContain('ops@example');
    await next.release();
  });

  it('force-releases every permit of a semaphore', async () => {
    const { view } = sharedStore();
    const a = manager(view(), 'alpha');
    const permits = [
      await a.acquire('pool', { permits: 3, ttl: 5_000 }),
      await a.acquire('pool', { permits: 3, ttl: 5_000 }),
    ];
    const outcome = await new LockDashboard(a, { canForceRelease: true }).forceRelease('pool');
    expect(outcome.released).toBe(2);
    expect(await a.inspect('pool')).toBeNull();
    await Promise.all(permits.map((permit) => aborted(permit.signal, 10_000)));
  });

  it('refuses force-release unless enabled, and bad options, with InvalidLockOptionsError', async () => {
    const { view } = sharedStore();
    const a = manager(view(), 'alpha');
    await expect(new LockDashboard(a).forceRelease('report')).rejects.toThrow(
      InvalidLockOptionsError,
    );
    await expect(new LockDashboard(a, { canForceRelease: true }).forceRelease('')).rejects.toThrow(
      InvalidLockOptionsError,
    );
    expect(() => new LockDashboard(a, { limit: 0 })).toThrow(InvalidLockOptionsError);
    expect(() => new LockDashboard(a, { refreshMs: 1.5 })).toThrow(InvalidLockOptionsError);
  });

  it('shows this instance alone on a store that cannot list', async () => {
    const { store } = sharedStore();
    const a = manager(withoutDirectory(store), 'alpha');
    const held = await a.acquire('solo', { ttl: 5_000 });
    const snapshot = await new LockDashboard(a).snapshot();
    expect(snapshot.canList).toBe(false);
    expect(snapshot.instances.map((instance) => instance.id)).toEqual(['alpha']);
    expect(snapshot.locks.map((lock) => [lock.key, lock.holders[0]?.fencingToken])).toEqual([
      ['solo', held.fencingToken.toString()],
    ]);
    await held.release();
  });

  it('a closed instance withdraws its record (an instance that dies is gone when its record expires: conformance)', async () => {
    const { view } = sharedStore();
    const observer = manager(view(), 'observer');
    const leaving = manager(view(), 'leaving');
    const dashboard = new LockDashboard(observer);
    await eventually(async () => (await dashboard.snapshot()).instances.length === 2);
    await leaving.close();
    expect((await dashboard.snapshot()).instances.map((instance) => instance.id)).toEqual([
      'observer',
    ]);
  });

  it('watch: one poll for every listener, stopped when the last leaves', async () => {
    const { view } = sharedStore();
    const a = manager(view(), 'alpha');
    let reads = 0;
    const backend = a.backend;
    const list = backend.directory!.list.bind(backend.directory);
    backend.directory!.list = async (...args) => {
      reads++;
      return list(...args);
    };
    const dashboard = new LockDashboard(a, { refreshMs: 50 });
    const seen: number[] = [];
    const stopFirst = dashboard.watch(() => seen.push(1));
    const stopSecond = dashboard.watch(() => seen.push(2));
    await eventually(() => seen.filter((each) => each === 2).length >= 3);
    // Both listeners hear each read: never more reads than the first listener's snapshots.
    expect(reads).toBeLessThanOrEqual(seen.filter((each) => each === 1).length + 1);
    stopFirst();
    stopSecond();
    const after = reads;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reads).toBeLessThanOrEqual(after + 1);
  });

  it('a lost lease appears in its instance’s events, beside the force-release that caused it', async () => {
    const { view } = sharedStore();
    const a = manager(view(), 'alpha');
    const b = manager(view(), 'beta');
    const lock = await a.acquire('fragile', { ttl: 3_000 });
    await new LockDashboard(b, { canForceRelease: true }).forceRelease('fragile');
    await aborted(lock.signal, 10_000);
    await a.refreshPresence();
    const events = (await new LockDashboard(b).snapshot()).events;
    expect(events.map((event) => [event.instanceId, event.type])).toEqual(
      expect.arrayContaining([
        ['alpha', 'lost'],
        ['beta', 'forceReleased'],
      ]),
    );
  });
});
