import type { Hold } from './protocol.js';

/** How the holds of one run overlapped in time. */
export interface HoldOverlap {
  /** The most read holds held at one instant. */
  readonly peakReaders: number;
  /** The integral of the number of read holds over time, in hold·ms. */
  readonly readerMs: number;
  /** How long at least one read hold was held, in ms. */
  readonly readHeldMs: number;
  /** Holds that began while a hold that excludes them, or that they exclude, was held. */
  readonly violations: number;
}

/**
 * Sweeps the holds of one run (of one key) in time order: how many reads held at once, and how
 * many holds broke exclusion. `exclusive` says which holds exclude every other (writes, or every
 * op of a mutex); a shared hold conflicts only with an exclusive one. Holds that merely touch (one
 * ends when the next begins) do not overlap.
 *
 * @example holdOverlap([{ startMs: 0, endMs: 2, read: true }, { startMs: 1, endMs: 3, read: true }], () => false)
 * // { peakReaders: 2, readerMs: 4, readHeldMs: 3, violations: 0 }
 */
export function holdOverlap(
  holds: readonly Hold[],
  exclusive: (hold: Hold) => boolean,
): HoldOverlap {
  // One event per start (+1) and end (-1); at equal times ends come first.
  const events = holds
    .flatMap((hold) => {
      const alone = exclusive(hold);
      return [
        { atMs: hold.startMs, step: 1, read: hold.read, alone },
        { atMs: hold.endMs, step: -1, read: hold.read, alone },
      ];
    })
    .sort((a, b) => a.atMs - b.atMs || a.step - b.step);
  let held = 0;
  let heldAlone = 0;
  let readers = 0;
  let peakReaders = 0;
  let readerMs = 0;
  let readHeldMs = 0;
  let violations = 0;
  let lastMs = events[0]?.atMs ?? 0;
  for (const event of events) {
    const spanMs = event.atMs - lastMs;
    readerMs += readers * spanMs;
    if (readers > 0) readHeldMs += spanMs;
    lastMs = event.atMs;
    if (event.step > 0 && (event.alone ? held > 0 : heldAlone > 0)) violations++;
    held += event.step;
    if (event.alone) heldAlone += event.step;
    if (event.read) readers += event.step;
    peakReaders = Math.max(peakReaders, readers);
  }
  return { peakReaders, readerMs, readHeldMs, violations };
}
