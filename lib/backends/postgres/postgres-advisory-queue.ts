/** One call waiting for its batch. */
interface Pending<I, R> {
  readonly item: I;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/** Runs one batch of a kind: a result per item, in the order of `items`. */
export type BatchRunner<I, R> = (items: readonly I[]) => Promise<readonly R[]>;

/** The most items one statement carries. */
const MAX_BATCH = 256;

/**
 * The calls of several kinds (acquire, extend, release) bound for one connection that runs one
 * statement at a time. Calls wait while a statement is in flight and then go together, one
 * statement per kind (releases first, so that a key freed and taken in the same round is free when
 * the acquires run): the busier the process, the more calls share a round trip, and a lone call
 * waits for nothing but the end of the current tick.
 *
 * A batch that rejects rejects each of its calls; the queue goes on with the next.
 *
 * @example
 * ```ts
 * const queue = new SessionQueue();
 * const releases = queue.kind((items) => runRelease(items));
 * const acquires = queue.kind((items) => runAcquire(items));
 * const result = await acquires.add({ key, owner, ttlMs });
 * ```
 */
export class SessionQueue {
  readonly #kinds: QueuedKind<unknown, unknown>[] = [];
  #busy = false;

  /** A kind of call, run before the kinds made after it in each round. */
  kind<I, R>(run: BatchRunner<I, R>): QueuedKind<I, R> {
    const kind = new QueuedKind(run, () => this.#schedule());
    this.#kinds.push(kind as unknown as QueuedKind<unknown, unknown>);
    return kind;
  }

  #schedule(): void {
    if (this.#busy) return;
    this.#busy = true;
    process.nextTick(() => void this.#drain());
  }

  /** Runs rounds until no call waits: in each, one batch of every kind that has calls. */
  async #drain(): Promise<void> {
    try {
      for (;;) {
        let ran = false;
        // A kind with no calls is passed over without an await: most rounds carry one kind.
        for (const kind of this.#kinds) {
          if (!kind.waiting) continue;
          await kind.runBatch();
          ran = true;
        }
        // A call may come in while the round awaited another kind's batch.
        if (!ran) return;
      }
    } finally {
      this.#busy = false;
    }
  }
}

/** The calls of one kind, see {@link SessionQueue}. */
export class QueuedKind<I, R> {
  #pending: Pending<I, R>[] = [];

  constructor(
    private readonly run: BatchRunner<I, R>,
    private readonly wake: () => void,
  ) {}

  /** Whether calls wait for a batch. */
  get waiting(): boolean {
    return this.#pending.length > 0;
  }

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      this.wake();
    });
  }

  /** Runs one batch of the waiting calls (the queue calls it only when some wait). Never rejects. */
  async runBatch(): Promise<void> {
    const batch = this.#pending.splice(0, MAX_BATCH);
    try {
      const results = await this.run(batch.map((entry) => entry.item));
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
}
