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
  #pending: { item: I; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  #scheduled = false;

  constructor(
    /** Runs one batch: a result or an `Error` per item, in the order of `items`. */
    private readonly runBatch: (items: I[]) => Promise<readonly (R | Error)[]>,
    private readonly maxBatch: number,
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
