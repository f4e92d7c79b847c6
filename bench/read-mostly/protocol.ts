/**
 * The read-mostly scenario's run, ready and done messages (the envelopes are the contended
 * pool's, bench/contended/protocol.ts).
 */

/** The stores the scenario runs on. */
export type StoreName = 'redis' | 'postgres';

/**
 * How the workload locks: `read-write` takes reads with `mode: 'read'` and writes with
 * `mode: 'write'`; `mutex` takes every op as a plain lock; `semaphore` takes every op as one
 * permit of a semaphore (shared, nothing exclusive).
 */
export type Arm = 'read-write' | 'mutex' | 'semaphore';

/** Run `loops` concurrent loops on `key` of `store` for `durationMs`. */
export interface ReadMostlyRun {
  readonly store: StoreName;
  readonly arm: Arm;
  readonly key: string;
  readonly durationMs: number;
  /** Concurrent loops in each worker process. */
  readonly loops: number;
  /** The chance that an op is a read (0 to 1). */
  readonly readShare: number;
  /** How long each op holds the lock, in ms (an async wait). */
  readonly holdMs: number;
  readonly ttlMs: number;
  /** The semaphore's size, for the `semaphore` arm. */
  readonly permits: number;
}

/** A worker connected to both stores. */
export interface ReadMostlyReady {
  /** The stores whose backend offers read-write locks (`backend.readWrite`). */
  readonly readWrite: readonly StoreName[];
}

/**
 * One hold as the worker saw it, on CLOCK_MONOTONIC in ms (`process.hrtime`, one clock for every
 * process of the machine): from the acquire's answer to the release's call, so always inside the
 * store's own hold.
 */
export interface Hold {
  readonly startMs: number;
  readonly endMs: number;
  readonly read: boolean;
}

/** What one worker did in a run. */
export interface ReadMostlyDone {
  readonly holds: readonly Hold[];
  /** From calling acquire to holding the lock, in ms, for the reads and for the writes. */
  readonly readWaitsMs: readonly number[];
  readonly writeWaitsMs: readonly number[];
}
