/** One call waiting for its batch. */
interface Pending<I, R> {
  readonly item: I;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Coalesces calls made in the same tick of the event loop into one batched call, the way ioredis
 * auto-pipelining coalesces commands, but one level up: N acquires become one script run instead of
 * N, whatever the client's own settings. A batch is flushed once all promise callbacks of the
 * current tick have run (`process.nextTick` from within them), so a lone call waits for nothing.
 *
 * Every call settles on its own: a batch answers each item with its result or with an `Error` of
 * that item alone (the item's call rejects with it, the others resolve), so a batch split across
 * servers (Redis Cluster slots) fails only the items of the server that failed. A batch that
 * rejects as a whole (one script run that got no answer) rejects each of its calls.
 *
 * @example
 * ```ts
 * const acquires = new TickBatcher<AcquireRequest, AcquireResult>((items) => runScript(items), 128);
 * const result = await acquires.add({ key, owner, ttlMs });
 * ```
 */
export class TickBatcher<I, R> {
  #pending: Pending<I, R>[] = [];
  #scheduled = false;

  constructor(
    /** Runs one batch: a result or an `Error` per item, in the order of `items`. */
    private readonly runBatch: (items: I[]) => Promise<readonly (R | Error)[]>,
    private readonly maxBatch: number,
    /**
     * Optional: the part of the store an item goes to (a cluster master). Items of different
     * parts go in different batches, so a part that does not answer holds back only its own.
     */
    private readonly partitionOf?: (item: I) => unknown,
  ) {}

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        process.nextTick(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    if (this.partitionOf && pending.length > 1) {
      const parts = new Map<unknown, Pending<I, R>[]>();
      for (const entry of pending) {
        const part = this.partitionOf(entry.item);
        const same = parts.get(part);
        if (same) same.push(entry);
        else parts.set(part, [entry]);
      }
      for (const part of parts.values()) this.#run(part);
      return;
    }
    this.#run(pending);
  }

  /** Runs `pending` in chunks of at most `maxBatch`, each settling its own calls. */
  #run(pending: Pending<I, R>[]): void {
    for (let i = 0; i < pending.length; i += this.maxBatch) {
      const chunk = pending.length <= this.maxBatch ? pending : pending.slice(i, i + this.maxBatch);
      const items: I[] = [];
      for (const entry of chunk) items.push(entry.item);
      this.runBatch(items).then(
        (results) => {
          for (let j = 0; j < chunk.length; j++) {
            const result = results[j]!;
            if (result instanceof Error) chunk[j]!.reject(result);
            else chunk[j]!.resolve(result);
          }
        },
        (error: unknown) => {
          for (const entry of chunk) entry.reject(error);
        },
      );
    }
  }
}
