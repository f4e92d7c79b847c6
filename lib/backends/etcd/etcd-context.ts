import type { LockBackendError } from '../../contract/errors.js';
import { Deadlines } from '../shared/deadlines.js';
import type { EtcdCallOptions, EtcdClientLike, EtcdKeyValue } from './etcd-client.js';
import { EtcdReplyError, etcdError } from './etcd-errors.js';
import type { EtcdSettings } from './etcd-options.js';
import { EtcdWakeups } from './etcd-wakeups.js';

/** A lease just granted: its id, the TTL etcd granted and when the grant was sent. */
export interface GrantedLease {
  readonly id: string;
  /** The granted TTL in ms (whole seconds, at least what was asked, maybe more: etcd's floor). */
  readonly ttlMs: number;
  /** This process's wall clock when the grant was sent: expiry is at least `sentAt + ttlMs`. */
  readonly sentAt: number;
}

/** etcd leases have whole-second TTLs: a ttl in ms rounded up, at least 1 s. */
export function leaseSeconds(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs / 1000));
}

/**
 * What the mutex and each capability of `EtcdLockBackend` share: the client, the key prefix,
 * every call bounded by the command timeout (as its gRPC deadline and by one `Deadlines` sweep),
 * failures as `LockBackendError`, the lease operations, and the wake-ups.
 *
 * @example
 * ```ts
 * return context.call('release', key, async (options) => context.client.kv.deleteRange(req, options));
 * ```
 */
export class EtcdContext {
  readonly client: EtcdClientLike;
  readonly prefix: string;
  readonly timeoutMs: number;
  readonly wakeups: EtcdWakeups;
  readonly #deadlines = new Deadlines();
  readonly #revoking = new Set<Promise<unknown>>();
  /** The shortest TTL the server granted above what was asked (its floor, 1.5 × election timeout). */
  #floorMs = 0;

  constructor(settings: EtcdSettings) {
    this.client = settings.client;
    this.prefix = settings.prefix;
    this.timeoutMs = settings.commandTimeoutMs;
    this.wakeups = new EtcdWakeups(settings.client);
  }

  /** The gRPC options of one call: its deadline. */
  callOptions(): EtcdCallOptions {
    return { deadline: Date.now() + this.timeoutMs };
  }

  /** `call`, bounded by the command timeout. */
  bound<T>(call: Promise<T>): Promise<T> {
    return this.#deadlines.bound(call, this.timeoutMs);
  }

  /** Runs `fn` bounded by the command timeout, its failure as a `LockBackendError`. */
  async call<T>(operation: string, key: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.bound(fn());
    } catch (error) {
      throw this.error(operation, key, error);
    }
  }

  error(operation: string, key: string | undefined, error: unknown): LockBackendError {
    return etcdError(operation, key, error);
  }

  /** Grants a lease of `ttlMs` rounded up to whole seconds; etcd may grant more (its floor). */
  async grant(ttlMs: number): Promise<GrantedLease> {
    const sentAt = Date.now();
    const reply = await this.client.leaseClient.leaseGrant(
      { TTL: leaseSeconds(ttlMs) },
      this.callOptions(),
    );
    if (reply.error) throw new EtcdReplyError(`lease grant refused: ${reply.error}`);
    const seconds = Number(reply.TTL);
    if (!reply.ID || !(seconds > 0)) throw new EtcdReplyError('lease grant without id or TTL');
    if (seconds > leaseSeconds(ttlMs)) this.#floorMs = Math.max(this.#floorMs, seconds * 1000);
    return { id: reply.ID, ttlMs: seconds * 1000, sentAt };
  }

  /**
   * The TTL etcd keeps a lease for when asked for `ttlMs`: whole seconds, and no shorter than the
   * floor the server has shown (it grants more than asked below it).
   */
  leaseTtlMs(ttlMs: number): number {
    return Math.max(leaseSeconds(ttlMs) * 1000, this.#floorMs);
  }

  /**
   * Revokes a lease no record uses any more, without waiting: leaving it would only keep it in
   * etcd until its TTL ends. `close()` waits for the revokes still in flight.
   */
  revokeLater(id: string | undefined): void {
    if (!id || id === '0') return;
    const revoke = this.bound(
      this.client.leaseClient.leaseRevoke({ ID: id }, this.callOptions()),
    ).catch(() => undefined);
    this.#revoking.add(revoke);
    void revoke.then(() => this.#revoking.delete(revoke));
  }

  /**
   * How long a holder's lease has left, in ms, as a waiter's hint; `undefined` when unknown. etcd
   * answers whole seconds, truncated: the lease has up to one more second, so that is added (the
   * waiter is woken by the record's deletion anyway, whatever the hint).
   */
  async remainingMs(holder: EtcdKeyValue | undefined): Promise<number | undefined> {
    if (!holder || holder.lease === '0') return undefined;
    try {
      const reply = await this.bound(
        this.client.leaseClient.leaseTimeToLive({ ID: holder.lease }, this.callOptions()),
      );
      const left = Number(reply.TTL);
      if (!(left >= 0)) return 0;
      return Math.min((left + 1) * 1000, Number(reply.grantedTTL) * 1000);
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.wakeups.close();
    await Promise.all(this.#revoking);
  }
}
