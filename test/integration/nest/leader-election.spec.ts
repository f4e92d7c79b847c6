import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  InvalidLockOptionsError,
  LeaderElection,
  type LeadershipLostReason,
  type Lock,
  LockModule,
  LockService,
} from '../../../lib/index.js';
import { LockTestbed, ManualClock } from '../../../lib/testing/index.js';

interface Event {
  readonly instance: number;
  readonly event: 'acquired' | 'lost';
  readonly token: bigint;
  readonly reason?: LeadershipLostReason;
  readonly lock: Lock;
}

/** Instances of one app, in one process, on one shared memory store and one manual clock. */
function cluster() {
  const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
  const testbed = new LockTestbed({ clock });
  const events: Event[] = [];
  const apps: TestingModule[] = [];

  async function start(instance: number, acquired: (lock: Lock) => void = () => {}) {
    @Injectable()
    @LeaderElection('scheduler', { ttl: '30s' })
    class Scheduler {
      onLeadershipAcquired(lock: Lock) {
        events.push({ instance, event: 'acquired', token: lock.fencingToken, lock });
        acquired(lock);
      }
      onLeadershipLost(lock: Lock, reason: LeadershipLostReason) {
        events.push({ instance, event: 'lost', token: lock.fencingToken, reason, lock });
      }
    }
    @Module({ imports: [LockModule.forRoot()], providers: [Scheduler] })
    class AppModule {}
    const app = await testbed
      .instance(Test.createTestingModule({ imports: [AppModule] }))
      .compile();
    app.useLogger(false);
    await app.init();
    apps.push(app);
    await clock.advance(0);
    return app;
  }

  const leaders = () => apps.filter((app) => app.get(LockService).isLeader('scheduler'));
  const close = async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await testbed.close();
  };
  return { clock, testbed, events, apps, start, leaders, close };
}

describe('@LeaderElection, three instances in one process (LockTestbed, ManualClock)', () => {
  let running: ReturnType<typeof cluster> | undefined;
  const setup = (): ReturnType<typeof cluster> => {
    running = cluster();
    return running;
  };
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('elects exactly one leader from bootstrap, and LockService.isLeader agrees', async () => {
    const c = setup();
    for (const i of [1, 2, 3]) await c.start(i);
    expect(c.leaders()).toHaveLength(1);
    expect(c.events.map((e) => e.event)).toEqual(['acquired']);
    expect(c.leaders()[0]).toBe(c.apps[c.events[0]!.instance - 1]);
  });

  it('keeps one leader and one term while the lease is renewed, however long', async () => {
    const c = setup();
    for (const i of [1, 2, 3]) await c.start(i);
    const [first] = c.events;
    await c.clock.advance('1h');
    expect(c.events).toEqual([first]);
    expect(c.leaders()).toHaveLength(1);
    expect(first!.lock.isHeld()).toBe(true);
    expect(first!.lock.expiresAt.getTime()).toBeGreaterThan(c.clock.now());
  });

  it("hands over at once when the leader's app closes, with a larger fencing token", async () => {
    const c = setup();
    for (const i of [1, 2, 3]) await c.start(i);
    const [first] = c.events;
    const leaderApp = c.apps.splice(first!.instance - 1, 1)[0]!;
    await leaderApp.close();
    await c.clock.advance(0); // no time passes: the release itself woke the waiters
    expect(c.events.map((e) => [e.instance === first!.instance, e.event, e.reason])).toEqual([
      [true, 'acquired', undefined],
      [true, 'lost', 'shutdown'],
      [false, 'acquired', undefined],
    ]);
    expect(first!.lock.signal.aborted).toBe(true);
    expect(c.events[2]!.token > first!.token).toBe(true);
    expect(c.leaders()).toHaveLength(1);
  });

  it('tells a leader whose lease is lost, and elects again with a new term', async () => {
    const c = setup();
    for (const i of [1, 2, 3]) await c.start(i);
    const [first] = c.events;
    // The store loses the lease (an operator DEL, a failover): a waiter may take it at once, and
    // the old leader learns at its next renewal (within ttl/3), through its signal and the hook.
    await c.testbed.store.release('locker:leader:scheduler', first!.lock.owner);
    await c.clock.advance('10s');
    const later = c.events.slice(1);
    expect(later.filter((e) => e.event === 'lost')).toEqual([
      expect.objectContaining({ instance: first!.instance, reason: 'lease-lost' }),
    ]);
    const terms = later.filter((e) => e.event === 'acquired');
    expect(terms).toHaveLength(1);
    expect(terms[0]!.token > first!.token).toBe(true);
    expect(first!.lock.signal.aborted).toBe(true);
    expect(c.leaders()).toHaveLength(1);
  });

  it('steps down when onLeadershipAcquired throws, so that another instance leads', async () => {
    const c = setup();
    await c.start(1, () => {
      throw new Error('cannot lead');
    });
    expect(c.events.map((e) => [e.instance, e.event, e.reason])).toEqual([
      [1, 'acquired', undefined],
      [1, 'lost', 'hook-failed'],
    ]);
    expect(c.leaders()).toHaveLength(0);
    await c.start(2);
    expect(c.events.at(-1)).toMatchObject({ instance: 2, event: 'acquired' });
    // Instance 1 campaigns again one ttl later; instance 2 keeps leading meanwhile.
    await c.clock.advance('2m');
    expect(c.events.at(-1)).toMatchObject({ instance: 2, event: 'acquired' });
    expect(c.leaders()).toEqual([c.apps[1]]);
  });

  it('refuses LockService.isLeader for a key nobody campaigns for', async () => {
    const c = setup();
    await c.start(1);
    const error = (() => {
      try {
        c.apps[0]!.get(LockService).isLeader('schedular');
      } catch (e) {
        return e;
      }
    })() as InvalidLockOptionsError;
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect(error.message).toContain('"schedular"');
    expect(error.message).toContain('"scheduler"');
  });
});
