import { LockNotAcquiredError, LockUpgradeError } from '../contract/errors.js';
import type { MonotonicClock } from './clock.js';
import type { Lock, LockHandle } from './lock.js';
import { currentFrame, findHeldFrame, runInFrame } from './lock-context.js';
import type { LockEventEmitter } from './lock-events.js';
import { type HoldFrame, LockHolds } from './lock-holds.js';
import type { LockOptions, ResolvedLockDefaults } from './lock-options.js';
import { resolveLockOptions } from './validate-options.js';

/** What {@link holdLock} needs of the manager it runs for. */
export interface ReentryHost {
  /** The manager: holds of one manager re-enter only each other. */
  readonly scope: object;
  readonly clock: MonotonicClock;
  readonly events: LockEventEmitter;
  readonly defaults: ResolvedLockDefaults;
  /** Takes the lock anew, in the store. */
  acquire(storeKeys: readonly string[], options: LockOptions | undefined): Promise<LockHandle>;
  release(lock: LockHandle): Promise<boolean>;
}

/**
 * Runs `fn` holding the lock on `storeKeys`: re-entering it when the call chain already holds it
 * (a nested call enters at once; a section running side by side with the holder waits its turn up
 * to `options.wait`), or taking it in the store. Each hold counts: the lease is released when the
 * last hold ends, so a re-entered section that outlives the one it re-entered keeps the lock.
 * A read re-enters a write or a read at once; a write inside a read is refused
 * ({@link refuseUpgrade}).
 */
export async function holdLock<T>(
  host: ReentryHost,
  keys: readonly string[],
  storeKeys: readonly string[],
  fn: (lock: Lock) => T | Promise<T>,
  options: LockOptions | undefined,
): Promise<T> {
  const scopeKey = holdScopeKey(storeKeys);
  const chain = currentFrame();
  const held = refuseUpgrade(host.scope, scopeKey, keys, options?.mode);
  if (held) {
    const frame: HoldFrame = {
      scope: host.scope,
      scopeKey,
      lock: held.lock,
      holds: held.holds,
      reads: held.reads,
      parent: chain,
    };
    // Reads share their hold: side by side too.
    if (held.reads || held.holds.mayEnter(chain)) {
      held.holds.enter(frame);
      return await runHold(host, frame, fn);
    }
    const startedAt = host.clock.now();
    const resolved = resolveLockOptions(options, host.defaults);
    const turn = await held.holds.waitTurn(frame, resolved.waitMs, host.clock, resolved.signal);
    if (turn === 'entered') return await runHold(host, frame, fn);
    if (turn === 'timeout') {
      const waitedMs = Math.round(host.clock.now() - startedAt);
      host.events.emit('busy', { key: keys.join(','), waitedMs, retryAfterMs: undefined });
      throw new LockNotAcquiredError(keys.join(','), undefined, waitedMs);
    }
    // The lock went away while this section waited: take it anew, for what is left of the wait.
    const waitedMs = host.clock.now() - startedAt;
    options = { ...options, wait: Math.max(0, Math.floor(resolved.waitMs - waitedMs)) };
  }
  const lock = await host.acquire(storeKeys, options);
  const frame: HoldFrame = {
    scope: host.scope,
    scopeKey,
    lock,
    holds: new LockHolds(lock),
    reads: options?.mode === 'read',
    parent: chain,
  };
  frame.holds.enter(frame);
  return await runHold(host, frame, fn);
}

/** Identifies a set of keys in the call-chain registry: NUL cannot occur in a key. */
export function holdScopeKey(storeKeys: readonly string[]): string {
  return storeKeys.length === 1 ? storeKeys[0]! : storeKeys.join('\0');
}

/**
 * The hold of the keys of `scopeKey` (see {@link holdScopeKey}) the current call chain has in
 * `scope`, if any; refuses with {@link LockUpgradeError} when it is a read and `mode` asks for more
 * (a write or a plain lock), which would wait for the chain's own read forever.
 *
 * @throws {@link LockUpgradeError}
 */
export function refuseUpgrade(
  scope: object,
  scopeKey: string,
  keys: readonly string[],
  mode: unknown,
): HoldFrame | undefined {
  const held = findHeldFrame(scope, scopeKey);
  if (held?.reads && mode !== 'read') throw new LockUpgradeError(keys.join(','));
  return held;
}

/** Runs `fn` as the hold of `frame`; the last hold of its lock to end releases the lease. */
async function runHold<T>(
  host: ReentryHost,
  frame: HoldFrame,
  fn: (lock: Lock) => T | Promise<T>,
): Promise<T> {
  try {
    return await runInFrame(frame, fn);
  } finally {
    if (frame.holds.exit(frame)) {
      try {
        await host.release(frame.lock as LockHandle);
      } catch {
        // Reported as `releaseFailed`; the section's own outcome is what the caller gets.
      }
    }
  }
}
