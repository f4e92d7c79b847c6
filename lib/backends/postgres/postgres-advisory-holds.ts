/** One advisory lock this process holds on its session. */
export interface AdvisoryHold {
  readonly key: string;
  readonly owner: string;
  readonly fencingToken: bigint;
  /** The session generation it was taken in: a hold of an ended session is gone. */
  readonly generation: number;
  /** When the lease runs out unless extended, in `performance.now()` ms. */
  deadline: number;
}

/**
 * The advisory locks the process holds, by key, and their expiry: a hold that is neither extended
 * nor released by its deadline is handed to `expire` (which unlocks it on the session), so an
 * advisory lease lasts its ttl like any other even while the process lives. One timer, armed for
 * the earliest deadline, serves every hold.
 *
 * @example
 * ```ts
 * const holds = new AdvisoryHolds((expired) => void releaseOnSession(expired));
 * holds.add({ key, owner, fencingToken, generation, deadline: performance.now() + ttlMs });
 * ```
 */
export class AdvisoryHolds {
  readonly #holds = new Map<string, AdvisoryHold>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(private readonly expire: (holds: readonly AdvisoryHold[]) => void) {}

  /** The hold on `key`, unless its deadline passed (it is then expired first). */
  get(key: string): AdvisoryHold | undefined {
    const hold = this.#holds.get(key);
    if (hold && hold.deadline <= performance.now()) {
      this.#holds.delete(key);
      this.expire([hold]);
      return undefined;
    }
    return hold;
  }

  add(hold: AdvisoryHold): void {
    this.#holds.set(hold.key, hold);
    this.#arm(hold.deadline);
  }

  /** Moves the deadline of a hold that was extended. */
  extended(hold: AdvisoryHold, deadline: number): void {
    hold.deadline = deadline;
  }

  /** Forgets the hold on `key` if it is `hold`; `true` when it was. */
  delete(hold: AdvisoryHold): boolean {
    if (this.#holds.get(hold.key) !== hold) return false;
    this.#holds.delete(hold.key);
    return true;
  }

  /** Forgets and returns every hold taken in session `generation` or before. */
  dropSession(generation: number): AdvisoryHold[] {
    const dropped: AdvisoryHold[] = [];
    for (const hold of this.#holds.values()) {
      if (hold.generation <= generation) dropped.push(hold);
    }
    for (const hold of dropped) this.#holds.delete(hold.key);
    return dropped;
  }

  /** Stops the timer and forgets every hold. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#holds.clear();
  }

  #arm(at: number): void {
    if (at >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, Math.ceil(at - performance.now())));
    this.#timer.unref();
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const expired: AdvisoryHold[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const hold of this.#holds.values()) {
      if (hold.deadline <= now) expired.push(hold);
      else next = Math.min(next, hold.deadline);
    }
    for (const hold of expired) this.#holds.delete(hold.key);
    if (expired.length > 0) this.expire(expired);
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next);
  }
}
