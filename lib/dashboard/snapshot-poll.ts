import type { DashboardSnapshot } from './dashboard-snapshot.js';

type Listener = (snapshot: DashboardSnapshot) => void;
type ErrorListener = ((error: Error) => void) | undefined;

/**
 * One poll of the store for every live view of the dashboard: it reads a snapshot every
 * `refreshMs` while at least one listener is subscribed, and stops when the last one leaves. A
 * read starts only after the previous one ended, so a slow store is never asked twice at once.
 */
export class SnapshotPoll {
  readonly #listeners = new Map<Listener, ErrorListener>();
  #timer: NodeJS.Timeout | undefined;
  #reading = false;

  constructor(
    private readonly read: () => Promise<DashboardSnapshot>,
    private readonly refreshMs: number,
  ) {}

  subscribe(listener: Listener, onError?: (error: Error) => void): () => void {
    // Each subscription its own entry, even for the same function.
    const own: Listener = (snapshot) => listener(snapshot);
    this.#listeners.set(own, onError);
    if (!this.#timer && !this.#reading) void this.#poll();
    return () => {
      this.#listeners.delete(own);
      if (this.#listeners.size === 0 && this.#timer) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  async #poll(): Promise<void> {
    this.#timer = undefined;
    if (this.#listeners.size === 0) return;
    this.#reading = true;
    try {
      const snapshot = await this.read();
      for (const listener of [...this.#listeners.keys()]) {
        try {
          listener(snapshot);
        } catch {
          // One view's failure is its own: the others still get the snapshot.
        }
      }
    } catch (error) {
      // `read` rejects with errors only (the dashboard's reads fail as LockBackendError).
      const failure = error as Error;
      for (const onError of [...this.#listeners.values()]) onError?.(failure);
    } finally {
      this.#reading = false;
    }
    if (this.#listeners.size > 0) {
      this.#timer = setTimeout(() => void this.#poll(), this.refreshMs);
      this.#timer.unref();
    }
  }
}
