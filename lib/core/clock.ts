/**
 * A monotonic clock in milliseconds. Local lease deadlines are measured on it, so that a wall-clock
 * jump on this machine can neither stretch nor cut a lease short. Tests of pure logic inject a fake.
 */
export interface MonotonicClock {
  now(): number;
}

/** `performance.now()`: monotonic, sub-millisecond, unaffected by wall-clock changes. */
export const systemClock: MonotonicClock = { now: () => performance.now() };
