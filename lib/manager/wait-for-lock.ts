import type { AcquireResult, Handoff, Unsubscribe } from '../contract/lock-backend.js';
import { type MonotonicClock, startTimer } from './clock.js';

/** How a waiter reaches the store. */
export interface WaitContext {
  /** One acquire attempt (same owner token every time, so a retried attempt is idempotent). */
  attempt(): Promise<AcquireResult>;
  /** The store's wake-up channel, when it has one. */
  subscribe: ((onRelease: (handoff?: Handoff) => void) => Promise<Unsubscribe>) | undefined;
  /**
   * Fair waiting: this waiter's owner token. A hand-off to it ends the wait at once (the store
   * already gave it the lease); a hand-off to another waiter does not wake it.
   */
  readonly owner?: string | undefined;
  /**
   * Re-attempt at least this often whatever the wake-ups say (a fair waiter's ticket refresh, a
   * deadlock check); read before each sleep.
   */
  readonly maxSleepMs?: number | undefined;
  /**
   * Called after each missed attempt, before sleeping; a rejection of the promise it returns ends
   * the wait with its error (deadlock detection gives way this way).
   */
  onMiss?(): Promise<void> | undefined;
  /** Subscribing failed: waiting falls back to backoff. */
  onSubscribeError(error: unknown): void;
  readonly waitMs: number;
  readonly signal: AbortSignal | undefined;
  readonly clock: MonotonicClock;
}

/** With a wake-up channel, still re-check at least this often, in case a notification was lost. */
const MAX_NOTIFIED_SLEEP_MS = 2_000;
/** Without one, poll with jittered exponential backoff from 10 ms up to 250 ms. */
const BACKOFF_BASE_MS = 10;
const BACKOFF_CAP_MS = 250;
/** Added after a holder's reported ttl, so the retry lands after the store expired it. */
const EXPIRY_MARGIN_MS = 2;

/**
 * Retries a missed acquire until it succeeds or `waitMs` runs out. Wake-ups come from the store's
 * release notifications; the fallback sleeps until the holder's lease would expire (the store told
 * us its remaining ttl) or, with no channel at all, backs off with full jitter. The subscription is
 * made before the next attempt, so a release that happens in between cannot be missed.
 *
 * A fair waiter (`owner` set) also ends its wait when a release hands the lease to it, without
 * another round trip, and ignores hand-offs to other waiters. Called without `first`, it subscribes
 * before the first attempt, which then needs no second one to cover a release in between.
 *
 * Resolves with the last result: acquired, or a miss when time ran out. Rejects with the signal's
 * reason when aborted, and with the attempt's error when the final attempt failed.
 */
export async function waitForLock(
  ctx: WaitContext,
  first: AcquireResult = { acquired: false, retryAfterMs: undefined },
): Promise<AcquireResult> {
  const { clock, signal } = ctx;
  const deadline = clock.now() + ctx.waitMs;
  let wake: (() => void) | undefined;
  let notified = false;
  let handedOver: AcquireResult | undefined;
  const onRelease = (handoff?: Handoff): void => {
    if (handoff && ctx.owner !== undefined) {
      if (handoff.owner !== ctx.owner) return;
      handedOver = {
        acquired: true,
        fencingToken: handoff.fencingToken,
        expiresAt: handoff.expiresAt,
      };
    }
    notified = true;
    wake?.();
  };

  let unsubscribe: Unsubscribe | undefined;
  if (ctx.subscribe) {
    try {
      unsubscribe = await ctx.subscribe(onRelease);
    } catch (error) {
      ctx.onSubscribeError(error);
    }
  }

  try {
    let last = first;
    let lastError: unknown;
    for (let round = 0; ; round++) {
      signal?.throwIfAborted();
      if (handedOver) return handedOver;
      notified = false;
      try {
        last = await ctx.attempt();
        lastError = undefined;
        if (last.acquired) return last;
      } catch (error) {
        lastError = error;
      }
      if (handedOver) return handedOver;
      const checked = ctx.onMiss?.();
      if (checked) await checked;
      if (handedOver) return handedOver;
      const remaining = deadline - clock.now();
      if (remaining <= 0) {
        if (lastError !== undefined) throw lastError;
        return last;
      }
      if (notified) continue;
      const retryAfter = last.acquired ? undefined : last.retryAfterMs;
      const sleepMs = Math.min(
        remaining,
        ctx.maxSleepMs ?? Number.POSITIVE_INFINITY,
        nextSleep(round, retryAfter, unsubscribe !== undefined, lastError),
      );
      await sleep(clock, sleepMs, signal, (resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    unsubscribe?.();
  }
}

function nextSleep(
  round: number,
  retryAfterMs: number | undefined,
  notifiable: boolean,
  error: unknown,
): number {
  const backoff = Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** round);
  if (error !== undefined) return Math.max(BACKOFF_BASE_MS, backoff);
  if (retryAfterMs === undefined) return notifiable ? MAX_NOTIFIED_SLEEP_MS : backoff;
  const untilExpiry = retryAfterMs + EXPIRY_MARGIN_MS + Math.random() * BACKOFF_BASE_MS;
  return notifiable ? Math.min(untilExpiry, MAX_NOTIFIED_SLEEP_MS) : Math.min(untilExpiry, backoff);
}

/** Sleeps `ms` on `clock`, or until woken through `expose`, or rejects when `signal` aborts. */
function sleep(
  clock: MonotonicClock,
  ms: number,
  signal: AbortSignal | undefined,
  expose: (wake: () => void) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (): void => {
      timer.cancel();
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = (): void => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = startTimer(clock, done, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
    expose(done);
  });
}
