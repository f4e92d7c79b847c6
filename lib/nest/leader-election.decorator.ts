import { SetMetadata } from '@nestjs/common';
import { InvalidLockOptionsError } from '../contract/errors.js';
import type { Duration } from '../manager/duration.js';
import type { LeadershipLostReason } from '../manager/leader-campaign.js';
import type { Lock } from '../manager/lock.js';
import { validateKey, validateTtl } from '../manager/validate-options.js';

/** Options of `@LeaderElection()`. */
export interface LeaderElectionOptions {
  /**
   * Lease time to live of a term, in ms or as a duration string (`'15s'`). The leader's lease is
   * renewed at about a third of it; if the leader dies, another instance leads within about `ttl`.
   * Default: the module's `defaults.ttl`.
   */
  ttl?: Duration;
}

/** Called on the provider when this instance becomes the leader. */
export interface OnLeadershipAcquired {
  /**
   * This instance leads from now until `lock.signal` aborts. The lock's `fencingToken` is this
   * term's, larger than every earlier term's. Throwing (or rejecting) steps the instance down.
   */
  onLeadershipAcquired(lock: Lock): void | Promise<void>;
}

/** Called on the provider when this instance stops leading. */
export interface OnLeadershipLost {
  /**
   * The term that `lock` started has ended, for `reason`; `lock.signal` has aborted. On a step-down
   * (shutdown, failed hook) this runs before the lock is released, so no other instance leads yet.
   */
  onLeadershipLost(lock: Lock, reason: LeadershipLostReason): void | Promise<void>;
}

/** What `@LeaderElection()` records on a class. */
export interface LeaderElectionMetadata {
  /** The class name, for errors. */
  readonly where: string;
  readonly key: string;
  /** Term ttl in ms; `undefined` for the module's default. */
  readonly ttl: number | undefined;
  /** A bad option found at decoration time; thrown at bootstrap. */
  readonly problem: InvalidLockOptionsError | undefined;
}

/** Reflect-metadata key on the decorated class: its {@link LeaderElectionMetadata}. */
export const LEADER_ELECTION_METADATA = Symbol.for('nestjs-locker:leader-election');

/**
 * Makes a singleton provider campaign for leadership of `key` from application bootstrap: across
 * every instance of the app sharing the lock store, exactly one leads at a time. The leader's lease
 * is renewed in the background; each term is a separate lock with its own fencing token. If the
 * leader dies, another instance leads within about `ttl`; on shutdown (`app.close()`) the leader
 * steps down and hands over at once. `LockService.isLeader(key)` answers for code that only needs
 * to ask. The class implements `onLeadershipAcquired(lock)`, `onLeadershipLost(lock, reason)` or
 * both.
 *
 * @example
 * ```ts
 * @Injectable()
 * @LeaderElection('billing-scheduler', { ttl: '15s' })
 * export class BillingScheduler implements OnLeadershipAcquired, OnLeadershipLost {
 *   onLeadershipAcquired(lock: Lock) {
 *     void this.runLoop({ fence: lock.fencingToken, signal: lock.signal });
 *   }
 *   onLeadershipLost(_lock: Lock, reason: LeadershipLostReason) {
 *     this.logger.warn(`no longer leading: ${reason}`);
 *   }
 * }
 * ```
 */
export function LeaderElection(key: string, options: LeaderElectionOptions = {}): ClassDecorator {
  return (target) => {
    const where = target.name;
    let ttl: number | undefined;
    let problem: InvalidLockOptionsError | undefined;
    try {
      validateKey(key, where);
      if (options === null || typeof options !== 'object') {
        throw new InvalidLockOptionsError('options', 'must be an object', where);
      }
      if (options.ttl !== undefined) ttl = validateTtl(options.ttl, 'ttl', where);
      const prototype = target.prototype as Partial<OnLeadershipAcquired & OnLeadershipLost>;
      if (
        typeof prototype.onLeadershipAcquired !== 'function' &&
        typeof prototype.onLeadershipLost !== 'function'
      ) {
        throw new InvalidLockOptionsError(
          '@LeaderElection',
          'the class has neither onLeadershipAcquired(lock) nor onLeadershipLost(lock, reason); implement at least one',
          where,
        );
      }
    } catch (error) {
      problem = error as InvalidLockOptionsError;
    }
    const metadata: LeaderElectionMetadata = { where, key, ttl, problem };
    SetMetadata(LEADER_ELECTION_METADATA, metadata)(target);
  };
}
