import { Injectable, Optional } from '@nestjs/common';
import { LockModuleNotReadyError } from '../contract/errors.js';
import type { Duration } from '../manager/duration.js';
import type { Lock } from '../manager/lock.js';
import type { LockEventListener, LockEvents } from '../manager/lock-events.js';
import type { LockInfo, LockKeys } from '../manager/lock-manager.js';
// A value import: Nest reads the constructor's parameter types from decorator metadata.
import { LockManager } from '../manager/lock-manager.js';
import type { LockOptions, ShareOptions } from '../manager/lock-options.js';
// A value import, as above.
import { LeaderElector } from './leader.elector.js';
// A value import, as above.
import { LockGate } from './lock-gate.js';

/**
 * Distributed locks, injected. The same operations as `LockManager` (which it delegates to), plus
 * the bookkeeping that lets the module shut down gracefully (its `LockGate`, shared with the
 * interceptor): it counts calls in progress and stops taking new locks once shutdown starts.
 *
 * @example
 * ```ts
 * @Injectable()
 * class PaymentsService {
 *   constructor(private readonly locks: LockService) {}
 *
 *   charge(orderId: string) {
 *     return this.locks.using(`order:${orderId}`, async (lock) => {
 *       await this.gateway.charge(orderId, { idempotencyKey: `${orderId}:${lock.fencingToken}` });
 *     }, { wait: 5_000 });
 *   }
 * }
 * ```
 */
@Injectable()
export class LockService {
  constructor(
    /** The manager behind this service. */
    readonly manager: LockManager,
    @Optional() private readonly elector?: LeaderElector,
    @Optional() private readonly gate: LockGate = new LockGate(),
  ) {}

  /**
   * Whether this instance is the leader of `key` right now: a `@LeaderElection(key)` provider of
   * this app holds the term's lock and its lease is certainly still valid. Answered locally, without
   * a round trip to the store.
   *
   * @throws {@link InvalidLockOptionsError} when no `@LeaderElection` provider campaigns for `key`.
   *
   * @example
   * ```ts
   * if (this.locks.isLeader('billing-scheduler')) await this.sendReminders();
   * ```
   */
  isLeader(key: string): boolean {
    if (!this.elector) throw new LockModuleNotReadyError('LockService.isLeader', 0);
    return this.elector.isLeader(key);
  }

  /** See {@link LockManager.acquire}. */
  acquire(key: LockKeys, options?: LockOptions): Promise<Lock> {
    this.gate.admit(key);
    return this.manager.acquire(key, options);
  }

  /** See {@link LockManager.tryAcquire}. */
  tryAcquire(key: LockKeys, options?: Omit<LockOptions, 'wait'>): Promise<Lock | null> {
    this.gate.admit(key);
    return this.manager.tryAcquire(key, options);
  }

  /**
   * See {@link LockManager.claim}. Refused while the module shuts down, so that an instance that
   * is stopping never claims a `@SingletonCron` tick it would then not run.
   */
  claim(key: string, ttl: Duration): Promise<boolean> {
    this.gate.admit(key);
    return this.manager.claim(key, ttl);
  }

  /** See {@link LockManager.using}. Shutdown waits (bounded) for calls in progress. */
  using<T>(key: LockKeys, fn: (lock: Lock) => T | Promise<T>, options?: LockOptions): Promise<T> {
    this.gate.admit(key);
    return this.gate.track(this.manager.using(key, fn, options));
  }

  /**
   * Runs `fn` once for all the callers of `key` that race, on every instance; the others wait and
   * get its result. See {@link LockManager.share}.
   *
   * @example
   * ```ts
   * const catalog = await this.locks.share('catalog:rebuild', () => this.rebuild(), { shareFor: '2s' });
   * ```
   */
  share<T>(key: string, fn: (lock: Lock) => T | Promise<T>, options?: ShareOptions): Promise<T> {
    this.gate.admit(key);
    return this.gate.track(this.manager.share(key, fn, options));
  }

  /** See {@link LockManager.isLocked}. */
  isLocked(key: string): Promise<boolean> {
    return this.manager.isLocked(key);
  }

  /** See {@link LockManager.inspect}. */
  inspect(key: string): Promise<LockInfo | null> {
    return this.manager.inspect(key);
  }

  /** See {@link LockManager.on}. */
  on<E extends keyof LockEvents>(event: E, listener: LockEventListener<E>): () => void {
    return this.manager.on(event, listener);
  }

  /** How many `using` calls (and locked methods) are running. */
  get inFlight(): number {
    return this.gate.inFlight;
  }

  /**
   * Stops taking new locks and waits up to `timeoutMs` for the calls in progress. Called by the
   * module on shutdown; resolves `true` when they all finished in time.
   */
  drain(timeoutMs: number): Promise<boolean> {
    return this.gate.drain(timeoutMs);
  }
}
