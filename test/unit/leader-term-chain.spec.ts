import { describe, expect, it } from '@jest/globals';
import {
  currentLock,
  type Lock,
  LockDeadlockError,
  LockManager,
  MemoryLockBackend,
} from '../../lib/index.js';
import { LeaderCampaign, leaderLockKey } from '../../lib/manager/leader-campaign.js';

/** A campaign whose hook runs `onTerm`, recording what the campaign reports. */
function campaign(locks: LockManager, onTerm: (term: Lock) => Promise<void>) {
  const reported: unknown[] = [];
  const run = new LeaderCampaign(locks, 'reports', 5_000, {
    acquired: onTerm,
    lost: async () => undefined,
    report: (_message, error) => reported.push(error),
  });
  return { run, reported };
}

describe('a leadership term as a hold of its call chain', () => {
  it('is currentLock() inside onLeadershipAcquired', async () => {
    const locks = new LockManager({ backend: new MemoryLockBackend() });
    let seen: { lock: Lock | undefined; term: Lock } | undefined;
    let started: () => void = () => undefined;
    const inHook = new Promise<void>((resolve) => {
      started = resolve;
    });
    const { run } = campaign(locks, async (term) => {
      seen = { lock: currentLock(), term };
      started();
    });
    run.start();
    await inHook;
    expect(seen?.lock).toBe(seen?.term);
    expect(seen?.term.key).toBe(leaderLockKey('reports'));
    await run.stop();
    await locks.close();
  });

  it('counts in deadlock detection: a hook and a chain waiting for each other, one gives way', async () => {
    const store = new MemoryLockBackend();
    const [leader, other] = [
      new LockManager({ backend: store }),
      new LockManager({ backend: store }),
    ];
    let holding = 0;
    let bothHold: () => void = () => undefined;
    const both = new Promise<void>((resolve) => {
      bothHold = resolve;
    });
    const arrive = (): Promise<void> => {
      if (++holding === 2) bothHold();
      return both;
    };
    let hookOutcome: unknown;
    let hookDone: () => void = () => undefined;
    const hookEnded = new Promise<void>((resolve) => {
      hookDone = resolve;
    });
    // The leader's hook, holding the term, waits for the resource...
    const { run } = campaign(leader, async () => {
      try {
        await arrive();
        hookOutcome = await leader.using('resource', async () => 'hook ran', { wait: 20_000 });
      } catch (error) {
        hookOutcome = error;
        throw error;
      } finally {
        hookDone();
      }
    });
    // ...which another chain holds while it waits for the leadership lock.
    const chain = other
      .using('resource', async () => {
        await arrive();
        const term = await other.acquire(leaderLockKey('reports'), { wait: 20_000 });
        await term.release();
        return 'chain ran';
      })
      .catch((error: unknown) => error);
    run.start();
    const outcomes = [await chain];
    await hookEnded;
    outcomes.push(hookOutcome);
    const gaveWay = outcomes.filter((outcome) => outcome instanceof LockDeadlockError);
    expect(gaveWay).toHaveLength(1);
    expect(outcomes.filter((outcome) => typeof outcome === 'string')).toHaveLength(1);
    await run.stop();
    await Promise.all([leader.close(), other.close()]);
  });
});
