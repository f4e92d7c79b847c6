/**
 * The library's one timeout mechanism: every "give up on this call after `ms`" (a store command, a
 * connect or quit, the module's bounded shutdown) is a deadline swept by a {@link Deadlines}.
 * It lives on the ground floor, importing nothing, because backends and the Nest layer both use it.
 */

/** How often pending calls are checked for their deadline, in ms. */
const SWEEP_EVERY_MS = 10;
/**
 * How many sweeps in a row may find nothing pending before the interval stops (100 ms): a process
 * that makes a call every few ms (a lock taken in turn with other processes) keeps one interval
 * instead of starting and stopping one for nearly every call.
 */
const IDLE_SWEEPS = 10;

/** Thrown when a store call did not answer in time. Its outcome is unknown. */
export class StoreTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/** A call in flight as its deadline sees it. */
export interface Timed {
  /** Monotonic ms (`performance.now()`) after which the call stops waiting. */
  readonly deadlineAt: number;
  /** Whether the call already ended (answered, or decided). */
  readonly ended: boolean;
  /** Ends the call: its deadline passed. */
  expire(): void;
}

/** How a {@link Deadlines} runs its sweep. */
export interface DeadlinesOptions {
  /**
   * Whether a pending deadline keeps the process alive, as a `setTimeout` would. Default `false`:
   * a backend's calls hold sockets that do; the module's shutdown wait sets it, so that the process
   * stays up until its calls in progress end or their time is up.
   */
  readonly keepsProcessAlive?: boolean;
}

/**
 * The deadlines of many calls, checked by one interval that runs only while calls are in flight
 * (and 100 ms longer), instead of a timer armed and cleared for every call: that costs about
 * 1 µs and four promises a call (10 µs for a quorum round's timer), a few percent of an uncontended
 * acquire + release. A call that ends by itself is not removed: the next sweep drops it, so adding
 * one costs an array push and ending it one field cleared (its entry lets go of the call then, so
 * that nothing but the small entry waits for the sweep). A call is given up on within `SWEEP_EVERY_MS`
 * after its deadline, once the answers that had already arrived by then have been read.
 *
 * @example
 * ```ts
 * const deadlines = new Deadlines();
 * const reply = await deadlines.bound(client.evalsha(sha, 1, key), 2_000); // or StoreTimeoutError
 * ```
 */
export class Deadlines {
  readonly #keepsProcessAlive: boolean;
  #pending: Timed[] = [];
  #timer: NodeJS.Timeout | undefined;
  #idleSweeps = 0;

  constructor(options: DeadlinesOptions = {}) {
    this.#keepsProcessAlive = options.keepsProcessAlive === true;
  }

  /** Calls `entry.expire()` once its deadline passed, unless it has ended by then. */
  add(entry: Timed): void {
    this.#pending.push(entry);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#sweep(), SWEEP_EVERY_MS);
      if (!this.#keepsProcessAlive) this.#timer.unref();
    }
  }

  /**
   * `call`'s outcome, or a rejection with {@link StoreTimeoutError} when it has not settled `ms`
   * after now (the call itself goes on: its outcome is unknown).
   */
  bound<T>(call: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = new BoundCall(performance.now() + ms, ms, reject);
      this.add(entry);
      call.then(
        (value) => {
          entry.settle();
          resolve(value);
        },
        (error: unknown) => {
          entry.settle();
          reject(error);
        },
      );
    });
  }

  #sweep(): void {
    const pending = this.#pending;
    if (pending.length === 0) {
      if (++this.#idleSweeps >= IDLE_SWEEPS) {
        clearInterval(this.#timer);
        this.#timer = undefined;
        this.#idleSweeps = 0;
      }
      return;
    }
    this.#idleSweeps = 0;
    const now = performance.now();
    const waiting: Timed[] = [];
    const due: Timed[] = [];
    this.#pending = waiting;
    for (const entry of pending) {
      if (entry.ended) continue;
      if (entry.deadlineAt <= now) due.push(entry);
      else waiting.push(entry);
    }
    if (due.length > 0) setImmediate(expireUnanswered, due);
  }
}

/**
 * Expires the entries that are still unanswered. It runs after the event loop's I/O phase, not in
 * the sweep: when the process was stalled (a long GC, a starved CPU), the sweep runs first after
 * the stall, while answers that came during it still wait unread in the sockets. Expiring there
 * would turn a stall of this process into a store timeout; deferred, those answers count first.
 */
function expireUnanswered(due: readonly Timed[]): void {
  for (const entry of due) if (!entry.ended) entry.expire();
}

/**
 * One bounded call: its deadline, and the rejection it gets when that passes first. It waits in
 * the pending list until the next sweep, answered or not: once answered it lets go of the
 * caller's promise (and through it the reply), so that what stays behind is this small object,
 * not every reply of the last 10 ms kept alive past a young-generation collection.
 */
class BoundCall implements Timed {
  #reject: ((error: unknown) => void) | undefined;

  constructor(
    readonly deadlineAt: number,
    private readonly timeoutMs: number,
    reject: (error: unknown) => void,
  ) {
    this.#reject = reject;
  }

  get ended(): boolean {
    return this.#reject === undefined;
  }

  /** The call was answered. */
  settle(): void {
    this.#reject = undefined;
  }

  expire(): void {
    const reject = this.#reject;
    this.#reject = undefined;
    reject?.(new StoreTimeoutError(this.timeoutMs));
  }
}

/** The deadlines of the calls bounded one at a time, by {@link withTimeout}. */
const oneOffDeadlines = new Deadlines();

/**
 * Rejects with {@link StoreTimeoutError} if `promise` has not settled after `ms`: a
 * {@link Deadlines.bound} on deadlines shared by every such call in the process.
 *
 * @example
 * ```ts
 * await withTimeout(client.quit(), 1_000).catch(() => client.disconnect());
 * ```
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return oneOffDeadlines.bound(promise, ms);
}
