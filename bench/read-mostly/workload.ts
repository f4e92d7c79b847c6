/** What the read-mostly scenario runs: its workload and the arms that lock it. */
import type { Arm } from './protocol.js';

export const PROCESSES = 8;
/** Concurrent loops in each process: the readers that could hold at once are PROCESSES × LOOPS. */
export const LOOPS = 4;
export const READ_SHARE = 0.95;
/** How long each op holds the lock, in ms: an async wait (I/O-bound work), not a busy loop. */
export const HOLD_MS = 2;
export const TTL_MS = 10_000;
/** The semaphore arm's size: one permit per loop, so that no op ever waits for another. */
export const PERMITS = PROCESSES * LOOPS;
/** Round trips timed to find the one-round-trip cost of the ceilings. */
export const ROUND_TRIPS = 500;

/** One way of locking the workload, as the report names and describes it. */
export interface ArmInfo {
  readonly arm: Arm;
  readonly name: string;
  readonly description: string;
  /** The chance that an op is a read. */
  readonly readShare: number;
}

export const ARMS: readonly ArmInfo[] = [
  {
    arm: 'read-write',
    name: 'nestjs-locker read-write',
    readShare: READ_SHARE,
    description:
      "`acquire(key, { mode: 'read', ttl, wait })` for a read, `{ mode: 'write' }` for a write, not fair: reads share the key, a write holds it alone, and reads that arrive while a writer waits queue behind it.",
  },
  {
    arm: 'mutex',
    name: 'nestjs-locker mutex',
    readShare: READ_SHARE,
    description:
      '`acquire(key, { ttl, wait })` for every op, read or write: the same workload on the plain exclusive lock, what a user has without read-write locks. The baseline of "× mutex".',
  },
  {
    arm: 'semaphore',
    name: `nestjs-locker semaphore ×${PERMITS}, reads only`,
    readShare: 1,
    description: `\`acquire(key, { permits: ${PERMITS}, ttl, wait })\` for every op, and every op a read: one permit per loop, so no op ever waits for another. Not a read-write lock (nothing is exclusive): the upper bound of a shared hold's throughput on the store.`,
  },
];
