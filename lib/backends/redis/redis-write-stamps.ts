/**
 * Stamps that order one writer's writes: the local clock in µs, raised past the last stamp given,
 * so each is larger than the one before even when the clock stands still or steps back. Stored
 * with each instance record: Redlock keeps, of the records its nodes hold, the newest write's.
 */
export class WriteStamps {
  #last = 0n;

  next(): string {
    const now = BigInt(Date.now()) * 1000n;
    this.#last = now > this.#last ? now : this.#last + 1n;
    return String(this.#last);
  }
}
