import type { FairLocks } from '../../contract/fair-locks.js';
import type {
  AcquireResult,
  ExtendResult,
  Handoff,
  LeaseInfo,
  LeaseToExtend,
  Unsubscribe,
} from '../../contract/lease.js';
import type { LockBackend } from '../../contract/lock-backend.js';
import type { LockDirectory } from '../../contract/lock-directory.js';
import type { MultiKeyLocks } from '../../contract/multi-key-locks.js';
import type { Semaphores } from '../../contract/semaphores.js';
import { acquireMutex } from './etcd-acquire.js';
import type { EtcdClientLike } from './etcd-client.js';
import { EtcdContext } from './etcd-context.js';
import { EtcdDirectory } from './etcd-directory.js';
import { extendRecords } from './etcd-extend.js';
import { EtcdFairLocks } from './etcd-fair.js';
import { inspectKey } from './etcd-inspect.js';
import { HELD } from './etcd-keys.js';
import { EtcdMultiKeyLocks } from './etcd-multi-key.js';
import { type EtcdLockBackendOptions, etcdSettings } from './etcd-options.js';
import { releaseRecord } from './etcd-release.js';
import { EtcdSemaphores } from './etcd-semaphore.js';

export type { EtcdClientLike } from './etcd-client.js';
export type { EtcdLockBackendOptions, EtcdTlsCredentials } from './etcd-options.js';

/**
 * Locks in etcd v3 through the `etcd3` client: every lock is ONE etcd lease of its own (its ttl
 * rounded up to whole seconds, etcd's unit) and a record `<prefix><key>\0<owner>` on it, written
 * in a transaction guarded so that it is taken only when the key has no record. The holder is
 * the key's oldest record (lowest create revision, as in etcd's `concurrency.Mutex`), and its
 * create revision is the fencing token: etcd's revision is one counter for the whole cluster,
 * so a later holder always has a higher one.
 *
 * - acquire: a lease grant, then one transaction (put when free, else read the holder).
 * - extend: one transaction reads every record of the batch (the owner check), then one
 *   keep-alive stream renews all their leases; etcd refuses to renew a lease that has expired.
 * - release: deletes the owner's record and revokes its lease; waiters are woken through a watch
 *   of the one record each waits behind (`subscribe`).
 *
 * Expiry is decided by etcd, but etcd exposes no clock: `expiresAt` is this process's clock when
 * the grant (or renewal) was sent plus the TTL etcd granted, a lower bound of when etcd frees the
 * key. Fair locks, semaphores, multi-key locks and the directory (`backend.fair`,
 * `backend.semaphore`, `backend.multiKey`, `backend.directory`) are offered; read-write locks,
 * deadlock detection and shared results are not (see docs/etcd.md).
 *
 * @example
 * ```ts
 * new EtcdLockBackend({ endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379', 'http://10.0.0.3:2379'] })
 * new EtcdLockBackend({ client: new Etcd3({ hosts }), prefix: 'billing/locks/' }) // your client; you close it
 * ```
 */
export class EtcdLockBackend implements LockBackend {
  readonly name = 'etcd';
  readonly fair: FairLocks;
  readonly semaphore: Semaphores;
  readonly multiKey: MultiKeyLocks;
  readonly directory: LockDirectory;
  readonly #context: EtcdContext;
  readonly #client: EtcdClientLike;
  readonly #ownsClient: boolean;
  #closed = false;

  constructor(options: EtcdLockBackendOptions) {
    const settings = etcdSettings(options);
    this.#context = new EtcdContext(settings);
    this.#client = settings.client;
    this.#ownsClient = settings.ownsClient;
    this.fair = new EtcdFairLocks(this.#context);
    this.semaphore = new EtcdSemaphores(this.#context);
    this.multiKey = new EtcdMultiKeyLocks(this.#context);
    this.directory = new EtcdDirectory(this.#context);
  }

  acquire(key: string, owner: string, ttlMs: number): Promise<AcquireResult> {
    return this.#context.call('acquire', key, () => acquireMutex(this.#context, key, owner, ttlMs));
  }

  extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    return extendRecords(this.#context, leases, HELD);
  }

  release(key: string, owner: string): Promise<boolean> {
    return releaseRecord(this.#context, key, owner, HELD);
  }

  /**
   * The ttl etcd keeps a lease for when asked for `ttlMs`: rounded up to whole seconds, and to the
   * server's floor once a grant has shown it. The manager takes locks for that ttl, so a holder's
   * deadline is the lease etcd keeps.
   */
  effectiveTtlMs(ttlMs: number): number {
    return this.#context.leaseTtlMs(ttlMs);
  }

  inspect(key: string): Promise<LeaseInfo | null> {
    return inspectKey(this.#context, key);
  }

  /**
   * Calls `onRelease` when a record that a missed attempt on `key` waits behind is deleted
   * (released, expired or revoked), in any process. Resolves at once: each missed attempt
   * watches from the revision it read, so a release after it cannot be missed.
   */
  async subscribe(key: string, onRelease: (handoff?: Handoff) => void): Promise<Unsubscribe> {
    return this.#context.wakeups.subscribe(key, onRelease);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#context.close();
    if (this.#ownsClient) this.#client.close();
  }
}
