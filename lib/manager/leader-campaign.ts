import { LockLostError, LockManagerClosedError } from '../contract/errors.js';
import { sleepOn } from './clock.js';
import type { Lock } from './lock.js';
import { runInFrame } from './lock-context.js';
import { type HoldFrame, LockHolds } from './lock-holds.js';
import type { LockManager } from './lock-manager.js';
import { holdScopeKey } from './lock-reentry.js';

/**
 * Why a leadership term ended, as `onLeadershipLost` is told:
 * - `'lease-lost'`: the lease could not be renewed in time or the store no longer has it (the
 *   lock's `signal.reason` says which). The instance campaigns again at once.
 * - `'hook-failed'`: `onLeadershipAcquired` threw; the instance stepped down and campaigns again
 *   after one ttl, so that another instance can take over.
 * - `'stepped-down'`: the term's lock was released by hand; as after `'hook-failed'`.
 * - `'shutdown'`: the application is closing; the lock is released at once for another instance.
 */
export type LeadershipLostReason = 'lease-lost' | 'hook-failed' | 'stepped-down' | 'shutdown';

/** What a campaign calls when a term starts and ends. */
export interface LeadershipHandlers {
  /** A term started. A rejection steps the instance down (`'hook-failed'`). */
  acquired(lock: Lock): Promise<void>;
  /** The term ended; called before its lock is released. Must not reject. */
  lost(lock: Lock, reason: LeadershipLostReason): Promise<void>;
  /** Something went wrong that the campaign recovers from by itself. */
  report(message: string, error: unknown): void;
}

/** Store keys of leadership locks: `leader:<key>` under the manager's key prefix. */
export const leaderLockKey = (key: string): string => `leader:${key}`;

/** After a failed attempt to reach the store, campaign again after this long at most. */
const MAX_RETRY_MS = 1_000;

/**
 * One instance's campaign for leadership of one key: wait for the lock (woken by the store's release
 * notification, otherwise when the holder's lease runs out — no polling loop), lead while the lease
 * is renewed, and campaign again when the term ends. Each term is a separate lock, so it carries its
 * own, larger fencing token. Plain TypeScript: the Nest layer only wires hooks to it.
 */
export class LeaderCampaign {
  readonly #stop = new AbortController();
  #term: Lock | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly manager: LockManager,
    /** The leadership key, as given to `@LeaderElection()`. */
    readonly key: string,
    /** Lease time to live of a term, in ms. */
    readonly ttlMs: number,
    private readonly handlers: LeadershipHandlers,
  ) {}

  /** `true` while this instance leads and its lease is certainly valid. */
  get isLeader(): boolean {
    return this.#term?.isHeld() ?? false;
  }

  /** Starts campaigning. Idempotent. */
  start(): void {
    this.#running ??= this.#run();
  }

  /** Stops campaigning; a leader steps down (`'shutdown'`) and releases its lock at once. */
  async stop(): Promise<void> {
    this.#stop.abort(new LockManagerClosedError(leaderLockKey(this.key)));
    await this.#running;
  }

  async #run(): Promise<void> {
    const { signal } = this.#stop;
    let failing = false;
    while (!signal.aborted) {
      let lock: Lock;
      try {
        lock = await this.manager.acquire(leaderLockKey(this.key), {
          ttl: this.ttlMs,
          wait: Number.POSITIVE_INFINITY,
          signal,
        });
      } catch (error) {
        if (signal.aborted || error instanceof LockManagerClosedError) return;
        // Once per outage, not once per retry.
        if (!failing) {
          this.handlers.report(`campaign for leadership of "${this.key}" failed; retrying`, error);
        }
        failing = true;
        await this.#pause(Math.min(MAX_RETRY_MS, this.ttlMs / 3));
        continue;
      }
      failing = false;
      const reason = await this.#serve(lock);
      // Give the others one ttl to take over before running for office again.
      if (reason === 'hook-failed' || reason === 'stepped-down') await this.#pause(this.ttlMs);
    }
  }

  /** Leads for one term; resolves, with why, once the term ended and its lock was let go. */
  async #serve(lock: Lock): Promise<LeadershipLostReason> {
    const ended = new AbortController();
    let reason: LeadershipLostReason | undefined;
    let finish!: () => void;
    const over = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const end = (why: LeadershipLostReason): void => {
      if (reason) return;
      reason = why;
      if (!lock.signal.aborted) {
        ended.abort(
          new LockLostError(
            lock.key,
            lock.fencingToken,
            why === 'shutdown' ? 'closed' : 'released',
          ),
        );
      }
      finish();
    };
    const onLost = (): void => {
      const closed = (lock.signal.reason as LockLostError | undefined)?.reason === 'closed';
      end(closed ? 'shutdown' : 'lease-lost');
    };
    const onStop = (): void => end('shutdown');
    lock.signal.addEventListener('abort', onLost, { once: true });
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    if (lock.signal.aborted) onLost();
    if (this.#stop.signal.aborted) onStop();

    const term = termLock(lock, AbortSignal.any([lock.signal, ended.signal]), () =>
      end('stepped-down'),
    );
    this.#term = term;
    // The hook runs as a hold of the term's lock: `currentLock()` is the term inside it, and a
    // wait of its call chain counts the term as held (deadlock detection sees it).
    const frame: HoldFrame = {
      scope: this.manager,
      scopeKey: holdScopeKey([this.manager.keyPrefix + leaderLockKey(this.key)]),
      lock: term,
      holds: new LockHolds(term),
      reads: false,
      parent: undefined,
    };
    runInFrame(frame, (held) => this.handlers.acquired(held)).catch((error: unknown) => {
      this.handlers.report(
        `onLeadershipAcquired for "${this.key}" threw; stepping down (fencing token ${lock.fencingToken})`,
        error,
      );
      end('hook-failed');
    });
    await over;

    lock.signal.removeEventListener('abort', onLost);
    this.#stop.signal.removeEventListener('abort', onStop);
    this.#term = undefined;
    const why = reason as LeadershipLostReason;
    // The old leader stops its work before the lock goes to the next one. A lease that was lost,
    // or that the leader let go of itself, is not released here.
    await this.handlers.lost(term, why);
    if (why === 'hook-failed' || why === 'shutdown') {
      await lock.release().catch((error: unknown) => {
        this.handlers.report(
          `releasing leadership of "${this.key}" failed; it frees when its lease runs out`,
          error,
        );
      });
    }
    return why;
  }

  /** Sleeps on the manager's clock; wakes early (without throwing) when the campaign stops. */
  #pause(ms: number): Promise<void> {
    return sleepOn(this.manager.clock, ms, this.#stop.signal).catch(() => undefined);
  }
}

/**
 * The lock a leader is handed: the term's lock, whose `signal` also aborts when the term ends for
 * any other reason (shutdown, a failed hook), and whose `release()` steps down.
 */
function termLock(lock: Lock, signal: AbortSignal, stepDown: () => void): Lock {
  return {
    key: lock.key,
    keys: lock.keys,
    owner: lock.owner,
    fencingToken: lock.fencingToken,
    get expiresAt() {
      return lock.expiresAt;
    },
    get ttlMs() {
      return lock.ttlMs;
    },
    signal,
    isHeld: () => !signal.aborted && lock.isHeld(),
    extend: (ttl) => lock.extend(ttl),
    release: () => {
      stepDown();
      return lock.release();
    },
    releaseAfter: (ms) => {
      stepDown();
      return lock.releaseAfter(ms);
    },
    [Symbol.asyncDispose]: async () => {
      stepDown();
      await lock.release();
    },
  };
}
