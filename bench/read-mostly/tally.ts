import { Samples } from '../stats.js';
import { holdOverlap } from './hold-overlap.js';
import type { Arm, Hold, ReadMostlyDone } from './protocol.js';
import type { ArmInfo } from './workload.js';

/** What one arm did on one store over all rounds. */
export interface Tally {
  readonly info: ArmInfo;
  readonly opsPerSec: number[];
  readonly readsPerSec: number[];
  readonly writesPerSec: number[];
  readonly readWaitsMs: Samples;
  readonly writeWaitsMs: Samples;
  peakReaders: number;
  readerMs: number;
  readHeldMs: number;
  violations: number;
  heldMs: number;
  holds: number;
}

/** A tally with nothing in it yet. */
export function newTally(info: ArmInfo): Tally {
  return {
    info,
    opsPerSec: [],
    readsPerSec: [],
    writesPerSec: [],
    readWaitsMs: new Samples(),
    writeWaitsMs: new Samples(),
    peakReaders: 0,
    readerMs: 0,
    readHeldMs: 0,
    violations: 0,
    heldMs: 0,
    holds: 0,
  };
}

/** Adds one round of every worker to `tally`. */
export function addRound(tally: Tally, done: readonly ReadMostlyDone[], elapsedMs: number): void {
  const holds = done.flatMap((worker) => worker.holds);
  const reads = holds.filter((hold) => hold.read).length;
  tally.opsPerSec.push((holds.length * 1_000) / elapsedMs);
  tally.readsPerSec.push((reads * 1_000) / elapsedMs);
  tally.writesPerSec.push(((holds.length - reads) * 1_000) / elapsedMs);
  for (const worker of done) {
    for (const wait of worker.readWaitsMs) tally.readWaitsMs.add(wait);
    for (const wait of worker.writeWaitsMs) tally.writeWaitsMs.add(wait);
  }
  const overlap = holdOverlap(holds, exclusiveIn(tally.info.arm));
  tally.peakReaders = Math.max(tally.peakReaders, overlap.peakReaders);
  tally.readerMs += overlap.readerMs;
  tally.readHeldMs += overlap.readHeldMs;
  tally.violations += overlap.violations;
  for (const hold of holds) tally.heldMs += hold.endMs - hold.startMs;
  tally.holds += holds.length;
}

/** Which holds of `arm` exclude every other: writes of a read-write lock, every mutex hold. */
function exclusiveIn(arm: Arm): (hold: Hold) => boolean {
  switch (arm) {
    case 'read-write':
      return (hold) => !hold.read;
    case 'mutex':
      return () => true;
    case 'semaphore':
      return () => false;
  }
}
