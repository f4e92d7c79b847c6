/** How often pending quorum rounds are checked for their deadline, in ms. */
const SWEEP_EVERY_MS = 10;

/** A quorum round as its deadline sees it. */
export interface TimedRound {
  /** Monotonic ms after which the round stops waiting for answers. */
  readonly deadlineAt: number;
  /** Whether the round already ended (decided, or every node answered). */
  readonly ended: boolean;
  /** Ends the round: its deadline passed. */
  expire(): void;
}

/**
 * The deadlines of a backend's quorum rounds, checked by one interval that runs only while rounds
 * are in flight (and one sweep longer), instead of a timer armed and cleared for every round: that
 * costs about 10 µs a round, a few percent of an uncontended acquire + release. A round that ends
 * by itself is not removed: the next sweep drops it, so adding a round costs one array push and
 * ending it nothing. A silent node is given up on within `SWEEP_EVERY_MS` after its deadline.
 */
export class RoundDeadlines {
  #pending: TimedRound[] = [];
  #timer: NodeJS.Timeout | undefined;

  /** Calls `round.expire()` once its deadline passed, unless it has ended by then. */
  add(round: TimedRound): void {
    this.#pending.push(round);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#sweep(), SWEEP_EVERY_MS);
      this.#timer.unref();
    }
  }

  #sweep(): void {
    const pending = this.#pending;
    if (pending.length === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    const now = performance.now();
    const waiting: TimedRound[] = [];
    this.#pending = waiting;
    for (const round of pending) {
      if (round.ended) continue;
      if (round.deadlineAt <= now) round.expire();
      else waiting.push(round);
    }
  }
}
