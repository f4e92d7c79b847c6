import { InvalidLockOptionsError } from '../../contract/errors.js';
import type {
  AcquireResult,
  ExtendResult,
  Handoff,
  LeaseInfo,
  LeaseToExtend,
  LostLease,
  Unsubscribe,
} from '../../contract/lease.js';
import type { LockBackend } from '../../contract/lock-backend.js';
import { leaseSql } from './postgres.sql.js';
import { advisorySql } from './postgres-advisory.sql.js';
import { type AdvisoryHold, AdvisoryHolds } from './postgres-advisory-holds.js';
import {
  type AdvisoryAcquireAnswer,
  AdvisoryStatements,
  advisorySession,
} from './postgres-advisory-statements.js';
import { PostgresContext } from './postgres-context.js';
import { backendError } from './postgres-errors.js';
import { type PostgresLockBackendOptions, postgresSettings } from './postgres-options.js';
import { sweepInBatches } from './postgres-schema.js';
import { PostgresWakeups } from './postgres-wakeups.js';

/** A miss whose holder's remaining ttl is not known. */
const MISSED = { acquired: false, retryAfterMs: undefined } as const;

/**
 * Locks as PostgreSQL session-level advisory locks (`pg_try_advisory_lock`), every lock of the
 * process on one long-lived connection of its own: nothing written to the WAL per lock, so it runs
 * at the speed of the server's lock table rather than of its disk. Fencing tokens come from the
 * lease table's sequence (the durable mode's, so tokens keep rising across a switch of mode), and
 * an unlogged row per held key names its owner and token for `inspect` and the owner checks.
 *
 * The lease is the session: when the connection ends (the process died, the server restarted,
 * `pg_terminate_backend`, a network failure) the server frees every lock on it at once, so a
 * successor takes over without waiting for any ttl, and every lock the process held is reported
 * lost at once through {@link onLeasesLost} (their signals abort). While the session lives a lease
 * also lasts its ttl: one not extended by then is unlocked, as on any backend.
 *
 * What it gives up against `PostgresLockBackend`'s durable leases:
 * - no holder survives a reconnect: any connection failure loses every lock of the process, also a
 *   blip the durable mode would ride out;
 * - it needs a real session: a transaction-pooling proxy (PgBouncer `pool_mode = transaction`)
 *   breaks it; connect straight to the server or through session pooling;
 * - claims (`LockService.claim`, `@SingletonCron` ticks) last until their ttl or their process's
 *   end, whichever comes first;
 * - plain locks only: no fair locks, semaphores, multi-key or read-write locks, deadlock detection,
 *   shared results or directory (the manager refuses those shapes with `InvalidLockOptionsError`);
 * - keys are 64-bit hashes in the server's lock table: two keys with one hash (odds about 1 in
 *   3·10^7 among a million keys held at once) only make each other wait, never run together; the row
 *   of each held key still names its own key, owner and token.
 *
 * @example
 * ```ts
 * new PostgresAdvisoryLockBackend({ connectionString: process.env.DATABASE_URL })
 * ```
 */
export class PostgresAdvisoryLockBackend implements LockBackend {
  readonly name = 'postgres-advisory';
  /** Only this backend's session can extend or release its locks. */
  readonly sessionLeases = true;
  /**
   * Calls `onRelease` on every release of `key`, in any process; present unless `listen: false`.
   */
  readonly subscribe?: (
    key: string,
    onRelease: (handoff?: Handoff) => void,
  ) => Promise<Unsubscribe>;
  /**
   * Whether a waiter of this process listens on `key` now (a busy key): a waiting acquire then
   * subscribes before its first attempt. Present with `subscribe`.
   */
  readonly subscribed?: (key: string) => boolean;
  readonly #context: PostgresContext;
  readonly #sql: ReturnType<typeof advisorySql>;
  readonly #statements: AdvisoryStatements;
  readonly #holds: AdvisoryHolds;
  /** Keys with an acquire in flight: another owner of this process misses them meanwhile. */
  readonly #acquiring = new Set<string>();
  readonly #lostListeners = new Set<(lost: readonly LostLease[]) => void>();
  readonly #seed: string;
  readonly #ownsPool: boolean;
  readonly #endPool: () => Promise<void>;
  readonly #wakeups: PostgresWakeups | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: PostgresLockBackendOptions) {
    const settings = postgresSettings(options);
    if (!settings.connectionConfig) {
      throw new InvalidLockOptionsError(
        'pool',
        'PostgresAdvisoryLockBackend holds its locks on a connection of its own, opened with the settings of the pool, and this pool does not expose them (pool.options): pass { connectionString } or { connection } instead',
      );
    }
    this.#context = new PostgresContext(settings.names, leaseSql(settings.names), {
      ...settings,
      sweepIntervalMs: 0,
    });
    this.#sql = advisorySql(settings.names);
    // A positive 60-bit seed per lease table: its keys' lock ids differ from any other table's and
    // from an application's own hashtextextended(key, 0).
    this.#seed = BigInt(`0x${settings.names.id.slice(0, 15)}`).toString();
    this.#ownsPool = settings.ownsPool;
    this.#endPool = () => settings.pool.end();
    const session = advisorySession(
      settings.connectionConfig,
      settings.commandTimeoutMs,
      `nestjs_locker_${settings.names.id}`,
    );
    session.onEnd = (generation) => this.#sessionEnded(generation);
    this.#statements = new AdvisoryStatements(
      session,
      this.#sql,
      this.#seed,
      settings.names.channel,
    );
    this.#holds = new AdvisoryHolds((expired) => {
      // Unlocked on the session; if that fails the session ends, which frees them too.
      this.#statements.release(expired).catch(() => undefined);
    });
    if (settings.openListenClient) {
      const wakeups = new PostgresWakeups(
        settings.openListenClient,
        this.#context.sql.listen,
        settings.names.channel,
        settings.commandTimeoutMs,
      );
      this.#wakeups = wakeups;
      this.subscribe = (key, onRelease) => wakeups.subscribe(key, onRelease);
      this.subscribed = (key) => wakeups.busy(key);
    }
    if (settings.sweepIntervalMs > 0) this.#startSweeping(settings.sweepIntervalMs);
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<AcquireResult> {
    try {
      if (!this.#context.isReady) await this.#context.whenReady();
      const hold = this.#holds.get(key);
      if (hold) {
        if (hold.owner !== owner) return { acquired: false, retryAfterMs: this.#remaining(hold) };
        // The owner's retry: the same lease, its ttl refreshed.
        const [expiresAt] = await this.extend([{ key, owner, ttlMs }]);
        if (typeof expiresAt === 'number') {
          return { acquired: true, fencingToken: hold.fencingToken, expiresAt };
        }
        return { acquired: false, retryAfterMs: undefined };
      }
      // One attempt per key at a time: the session would grant a second one (its locks stack).
      if (this.#acquiring.has(key)) return { acquired: false, retryAfterMs: undefined };
      this.#acquiring.add(key);
      let answer: AdvisoryAcquireAnswer;
      try {
        answer = await this.#statements.acquire({ key, owner, ttlMs });
      } finally {
        this.#acquiring.delete(key);
      }
      if (!answer.acquired) return await this.#missWithRemaining(key);
      if (answer.generation !== this.#statements.session.generation) {
        // The session ended while the answer travelled: the lock went with it.
        return { acquired: false, retryAfterMs: undefined };
      }
      this.#holds.add({
        key,
        owner,
        fencingToken: answer.token,
        generation: answer.generation,
        deadline: performance.now() + ttlMs,
      });
      return { acquired: true, fencingToken: answer.token, expiresAt: answer.expiresAt };
    } catch (error) {
      throw backendError('acquire', key, error);
    }
  }

  async extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    if (leases.length === 0) return [];
    try {
      return await Promise.all(leases.map((lease) => this.#extendOne(lease)));
    } catch (error) {
      throw backendError('extend', leases.length === 1 ? leases[0]!.key : undefined, error);
    }
  }

  async release(key: string, owner: string): Promise<boolean> {
    const hold = this.#holds.get(key);
    if (!hold || hold.owner !== owner) return false;
    this.#holds.delete(hold);
    try {
      await this.#statements.release([hold]);
    } catch (error) {
      // The session was ended on purpose: the server has freed the lock, or will when it notices.
      throw backendError('release', key, error);
    }
    return true;
  }

  async inspect(key: string): Promise<LeaseInfo | null> {
    const context = this.#context;
    return context.attempt('inspect', key, async () => {
      const [row] = await context.run(this.#sql.inspect, [key, this.#seed]);
      if (!row) return null;
      return { key, owner: row.owner, fencingToken: BigInt(row.token), expiresAt: row.ms };
    });
  }

  /**
   * Calls `listener` with every lock of this process the moment its session ends: the server has
   * freed them all. The manager aborts their signals with `LockLostError` (reason `not-held`).
   */
  onLeasesLost(listener: (lost: readonly LostLease[]) => void): Unsubscribe {
    this.#lostListeners.add(listener);
    return () => {
      this.#lostListeners.delete(listener);
    };
  }

  /** Ends the session (the server frees every lock on it), the LISTEN connection and its own pool. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    this.#holds.clear();
    this.#lostListeners.clear();
    await this.#statements.session.close();
    this.#context.close();
    await this.#wakeups?.close();
    if (this.#ownsPool) await this.#endPool().catch(() => undefined);
  }

  /** Extends one hold of this process, batched with the others of its round trip. */
  async #extendOne(lease: LeaseToExtend): Promise<number | undefined> {
    if (this.#holds.get(lease.key)?.owner !== lease.owner) return undefined;
    const answer = await this.#statements.extend(lease);
    const hold = this.#holds.get(lease.key);
    if (!hold || hold.owner !== lease.owner || hold.generation !== answer.generation) {
      return undefined;
    }
    if (answer.expiresAt === undefined) {
      // The row is gone though the lock was ours: give the lock back rather than keep it blind.
      this.#holds.delete(hold);
      this.#statements.release([hold]).catch(() => undefined);
      return undefined;
    }
    this.#holds.extended(hold, answer.sentAt + lease.ttlMs);
    return answer.expiresAt;
  }

  /**
   * The holder's remaining ttl for a miss, read on the pool (the session stays free for the
   * calls that take and free locks). Only a hint: a failure leaves it unknown.
   */
  async #missWithRemaining(key: string): Promise<AcquireResult> {
    try {
      const [row] = await this.#context.run(this.#sql.remaining, [key, this.#seed]);
      return { acquired: false, retryAfterMs: row?.ms || undefined };
    } catch {
      return MISSED;
    }
  }

  /** A session ended: its locks are gone; tell every listener which were held. */
  #sessionEnded(generation: number): void {
    const dropped = this.#holds.dropSession(generation);
    if (dropped.length === 0 || this.#closed) return;
    const lost = dropped.map(({ key, owner }) => ({ key, owner }));
    for (const listener of [...this.#lostListeners]) listener(lost);
  }

  #remaining(hold: AdvisoryHold): number {
    return Math.max(1, Math.ceil(hold.deadline - performance.now()));
  }

  /** Deletes rows left by sessions that died, every `intervalMs`, up to 60 000 per sweep. */
  #startSweeping(intervalMs: number): void {
    this.#sweepTimer = setInterval(() => {
      sweepInBatches(
        async () => (await this.#context.run(this.#sql.sweep, [this.#seed]))[0]?.swept,
        () => this.#closed,
      ).catch(() => undefined);
    }, intervalMs);
    this.#sweepTimer.unref();
  }
}
