/**
 * Coalesces calls made in the same tick of the event loop into one batched call, the way ioredis
 * auto-pipelining coalesces commands, but one level up: N acquires become one script run instead of
 * N, whatever the client's own settings. A batch is flushed once all promise callbacks of the
 * current tick have run (`process.nextTick` from within them), so a lone call waits for nothing.
 */
export class TickBatcher<I, R> {
  #pending: { item: I; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  #scheduled = false;

  constructor(
    private readonly runBatch: (items: I[]) => Promise<R[]>,
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
          for (let j = 0; j < chunk.length; j++) chunk[j]!.resolve(results[j]!);
        },
        (error: unknown) => {
          for (const entry of chunk) entry.reject(error);
        },
      );
    }
  }
}
