import type { Handoff, Unsubscribe } from '../../contract/lease.js';
import type { EtcdClientLike, EtcdWatcherLike } from './etcd-client.js';

type OnRelease = (handoff?: Handoff) => void;

/** One watch of a record (or of a semaphore's whole range), and the lock keys it wakes. */
interface RecordWatch {
  readonly watcher: EtcdWatcherLike;
  readonly keys: Set<string>;
}

/**
 * The wake-ups of waiters, without a herd: `subscribe` only registers a local listener, and each
 * missed attempt then watches the ONE record it waits behind (the holder for a plain mutex, the
 * record just ahead for a fair waiter) for its deletion, from the revision the attempt read, so a
 * deletion in between is not missed. When it is deleted (released, expired or revoked) the lock
 * key's listeners are called and the watch ends. Watches go through the client's watch manager,
 * which carries them all on one gRPC stream, and a record several waiters of this process wait
 * behind is watched once.
 *
 * @example
 * ```ts
 * const stop = wakeups.subscribe('locker:report', () => retry());
 * wakeups.watchDeletion('locker:report', holderRecord, readRevision);
 * ```
 */
export class EtcdWakeups {
  readonly #listeners = new Map<string, Set<OnRelease>>();
  readonly #watches = new Map<string, RecordWatch>();

  constructor(private readonly client: EtcdClientLike) {}

  /** Calls `onRelease` when a record a missed attempt on `key` waits behind goes. */
  subscribe(key: string, onRelease: OnRelease): Unsubscribe {
    let listeners = this.#listeners.get(key);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(key, listeners);
    }
    // One entry per subscription, even when the same function subscribes twice.
    const entry: OnRelease = (handoff) => onRelease(handoff);
    listeners.add(entry);
    return () => {
      listeners.delete(entry);
      if (listeners.size > 0 || this.#listeners.get(key) !== listeners) return;
      this.#listeners.delete(key);
      for (const [id, watch] of this.#watches) {
        watch.keys.delete(key);
        if (watch.keys.size === 0) this.#end(id, watch);
      }
    };
  }

  /**
   * After a miss on `key` read at `revision`: wakes `key`'s listeners when `record` is deleted
   * after that revision (or, with `wholeRange`, any record of the range that starts at `record`).
   * Nothing when nobody in this process waits for `key`.
   */
  watchDeletion(key: string, record: Buffer, revision: string, wholeRange = false): void {
    if (!this.#listeners.has(key)) return;
    const id = `${wholeRange ? 'r' : 'k'}${record.toString('base64')}`;
    const existing = this.#watches.get(id);
    if (existing) {
      existing.keys.add(key);
      return;
    }
    const builder = this.client.watch();
    const watcher = (wholeRange ? builder.prefix(record) : builder.key(record))
      .only('delete')
      .startRevision(String(BigInt(revision) + 1n))
      .watcher();
    const watch: RecordWatch = { watcher, keys: new Set([key]) };
    this.#watches.set(id, watch);
    const fire = (): void => {
      if (this.#watches.get(id) !== watch) return;
      this.#end(id, watch);
      for (const each of watch.keys) {
        for (const listener of this.#listeners.get(each) ?? []) listener();
      }
    };
    watcher.on('delete', fire);
    // A broken watch wakes its waiters, who try again and watch anew.
    watcher.on('error', fire);
  }

  close(): void {
    for (const [id, watch] of this.#watches) this.#end(id, watch);
    this.#listeners.clear();
  }

  #end(id: string, watch: RecordWatch): void {
    this.#watches.delete(id);
    watch.watcher.cancel().catch(() => undefined);
  }
}
