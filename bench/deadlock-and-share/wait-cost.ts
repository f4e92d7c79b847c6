import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Samples } from '../stats.js';
import type { InstanceView, StoreViews } from './store-views.js';

/** Deadlock detection on (the default where the backend offers it) or off. */
export type Detection = 'on' | 'off';

/** What one arm measured on one store. */
export interface WaitCost {
  readonly detection: Detection;
  /** From calling acquire on the contended key to holding it, in ms. */
  readonly waitMs: Float64Array;
  /** From the holder's release call to the waiter holding, in ms. */
  readonly handOffMs: Float64Array;
  /** The waiter instance's round trips per wait, the held lock's acquire and release included. */
  readonly roundTripsPerWait: number;
  /** Acquire + release of a free key inside a held lock, in ms. */
  readonly uncontendedMs: Float64Array;
  /** Round trips per uncontended acquire + release (the held lock's own not counted). */
  readonly roundTripsPerUncontended: number;
}

/** Leases here never near their ttl; a wait that took this long is a failure. */
const TTL_MS = 30_000;

/**
 * The per-wait cost of deadlock detection on one store: a waiter that holds a lock waits for a key
 * another instance holds for `holdMs` (so the wait is published), detection on against off, in
 * alternating order; then the cost when nobody waits: a free key taken and released inside a held
 * lock. `undefined` when the store offers no waits-for graph.
 */
export async function measureWaitCost(
  views: StoreViews,
  iterations: number,
  holdMs: number,
): Promise<WaitCost[] | undefined> {
  const prefix = `bench:deadlock:${views.store}:${Date.now().toString(36)}:`;
  const holder = await views.open({ keyPrefix: prefix });
  const waiters: Record<Detection, InstanceView> = {
    on: await views.open({ keyPrefix: prefix }),
    off: await views.open({ keyPrefix: prefix, detectDeadlocks: false }),
  };
  try {
    if (!waiters.on.manager.backend.waits) return undefined;
    const costs = (['on', 'off'] as const).map((detection) => ({
      detection,
      wait: new Samples(),
      handOff: new Samples(),
      waitTrips: 0,
      uncontended: new Samples(),
      uncontendedTrips: 0,
    }));
    for (let i = 0; i < iterations; i++) {
      for (const cost of i % 2 === 0 ? costs : [...costs].reverse()) {
        const waiter = waiters[cost.detection];
        const before = waiter.roundTrips();
        await waitOnce(holder, waiter, cost.detection, holdMs, cost.wait, cost.handOff);
        await settle();
        cost.waitTrips += waiter.roundTrips() - before;
      }
    }
    for (let i = 0; i < iterations; i++) {
      for (const cost of i % 2 === 0 ? costs : [...costs].reverse()) {
        const waiter = waiters[cost.detection];
        cost.uncontendedTrips += await uncontendedOnce(waiter, cost.detection, cost.uncontended);
      }
    }
    return costs.map((cost) => ({
      detection: cost.detection,
      waitMs: cost.wait.values(),
      handOffMs: cost.handOff.values(),
      roundTripsPerWait: cost.waitTrips / iterations,
      uncontendedMs: cost.uncontended.values(),
      roundTripsPerUncontended: cost.uncontendedTrips / iterations,
    }));
  } finally {
    await Promise.all([holder.close(), waiters.on.close(), waiters.off.close()]);
  }
}

/** One wait of a chain that holds `held:<arm>` for `contended:<arm>`, held elsewhere `holdMs`. */
async function waitOnce(
  holder: InstanceView,
  waiter: InstanceView,
  arm: Detection,
  holdMs: number,
  wait: Samples,
  handOff: Samples,
): Promise<void> {
  const contended = `contended:${arm}`;
  const blocking = await holder.manager.acquire(contended, { ttl: TTL_MS });
  await waiter.manager.using(
    `held:${arm}`,
    async () => {
      let releasedAt = Number.NaN;
      const calledAt = performance.now();
      const releasing = sleep(holdMs).then(() => {
        releasedAt = performance.now();
        return blocking.release();
      });
      const lock = await waiter.manager.acquire(contended, { ttl: TTL_MS, wait: TTL_MS });
      const heldAt = performance.now();
      await releasing;
      await lock.release();
      wait.add(heldAt - calledAt);
      handOff.add(heldAt - releasedAt);
    },
    { ttl: TTL_MS },
  );
}

/** A free key taken and released inside a held lock; returns its round trips. */
async function uncontendedOnce(
  waiter: InstanceView,
  arm: Detection,
  samples: Samples,
): Promise<number> {
  return waiter.manager.using(
    `held:${arm}`,
    async () => {
      const before = waiter.roundTrips();
      const startedAt = performance.now();
      const lock = await waiter.manager.acquire(`free:${arm}`, { ttl: TTL_MS });
      await lock.release();
      samples.add(performance.now() - startedAt);
      return waiter.roundTrips() - before;
    },
    { ttl: TTL_MS },
  );
}

/** Lets a wait's record withdraw (in the background) before its round trips are counted. */
const settle = (): Promise<void> => sleep(2);
