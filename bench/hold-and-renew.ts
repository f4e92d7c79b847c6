import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { HeldLock, LockAdapter } from './contestants/lock-adapter.js';
import { inParallel } from './in-parallel.js';
import { countCommands } from './redis-command-count.js';
import { readServerInfo } from './redis-info.js';

/** Acquires and releases in flight at once while setting up and tearing down. */
const IN_FLIGHT = 256;
/** The event-loop delay monitor samples every this many ms; its figures include that interval. */
const LOOP_SAMPLE_MS = 1;

/** A library that renews held locks, with its renewal period for a ttl. */
export interface RenewingContestant {
  readonly name: string;
  readonly description: string;
  /** How often the library renews one lock of this ttl, in ms. */
  periodMs(ttlMs: number): number;
  /** A fresh adapter on a fresh client whose commands are counted. */
  open(url: string): { adapter: LockAdapter; client: Redis };
}

/** One round's figures for one contestant holding `locks` locks. */
export interface RenewalRound {
  readonly roundTripsPerSec: number;
  readonly serverCommandsPerSec: number;
  /** Redis CPU (system + user) over the window, in ms per second of the window. */
  readonly redisCpuMsPerSec: number;
  /** Growth of Redis `used_memory` per held lock (lease and fence keys), in bytes. */
  readonly redisBytesPerLock: number;
  readonly loopDelayP50Ms: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  /** The loop delay at each whole percentile 1–100 of the window, in ms: its distribution. */
  readonly loopDelayPercentilesMs: readonly number[];
  /** Heap growth per held lock after a full GC, in bytes; NaN without `--expose-gc`. */
  readonly bytesPerLock: number;
  readonly lost: number;
}

/** What one round holds and for how long. */
export interface HoldPlan {
  readonly locks: number;
  readonly ttlMs: number;
  /** How long the held locks are watched being renewed, in ms. */
  readonly windowMs: number;
  /** The key of the i-th lock: unique to the round. */
  keyOf(i: number): string;
}

/**
 * Takes `plan.locks` locks with `contestant`, keeps them held for the window while counting the
 * round trips its client sends, what Redis executes and the CPU it uses, and how late the event
 * loop runs; then releases them all. `info` is a separate client that reads the server's counters.
 */
export async function holdAndRenew(
  contestant: RenewingContestant,
  url: string,
  info: Redis,
  plan: HoldPlan,
): Promise<RenewalRound> {
  const { locks, windowMs, ttlMs, keyOf } = plan;
  const gc = (globalThis as { gc?: () => void }).gc;
  const { adapter, client } = contestant.open(url);
  const count = countCommands(client);
  const hold = adapter.hold!;
  try {
    await client.ping();
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const memoryBefore = (await readServerInfo(info)).usedMemory;
    const held: HeldLock[] = await inParallel(locks, IN_FLIGHT, (i) => hold(keyOf(i), ttlMs));
    gc?.();
    const bytesPerLock = (process.memoryUsage().heapUsed - heapBefore) / locks;

    const delay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
    const serverBefore = await readServerInfo(info);
    count.reset();
    const startedAt = performance.now();
    delay.enable();
    await sleep(windowMs);
    delay.disable();
    const elapsedSec = (performance.now() - startedAt) / 1000;
    const sent = count.sent;
    const serverAfter = await readServerInfo(info);

    let lost = 0;
    await inParallel(held.length, IN_FLIGHT, (i) =>
      held[i]!.release().catch(() => {
        lost++;
      }),
    );
    return {
      roundTripsPerSec: sent / elapsedSec,
      // Less the INFO call that read the second count.
      serverCommandsPerSec:
        (serverAfter.commandsProcessed - serverBefore.commandsProcessed - 1) / elapsedSec,
      redisCpuMsPerSec: ((serverAfter.cpuSec - serverBefore.cpuSec) * 1000) / elapsedSec,
      redisBytesPerLock: (serverBefore.usedMemory - memoryBefore) / locks,
      loopDelayP50Ms: loopDelayMs(delay.percentile(50)),
      loopDelayP99Ms: loopDelayMs(delay.percentile(99)),
      loopDelayMaxMs: loopDelayMs(delay.max),
      loopDelayPercentilesMs: Array.from({ length: 100 }, (_, i) =>
        loopDelayMs(delay.percentile(i + 1)),
      ),
      bytesPerLock: gc ? bytesPerLock : Number.NaN,
      lost,
    };
  } finally {
    await adapter.close();
    await client.quit();
  }
}

/** A delay sample of the monitor (ns, the sampling interval included) as the lateness in ms. */
function loopDelayMs(nanoseconds: number): number {
  return Math.max(0, nanoseconds / 1e6 - LOOP_SAMPLE_MS);
}
