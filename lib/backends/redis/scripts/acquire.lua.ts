import type { AcquireResult } from '../../../contract/lease.js';
import type { AcquireRequest } from '../../shared/lease-requests.js';
import { fenceKeyOf, lockKeyOf, sleepersKeyOf, turnKeyOf } from '../redis-keys.js';
import { integer, integerText, missed } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { lockGrantLua } from './lock-grant.lua.js';
import { OWNER_CHECK_LUA } from './owner-check.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';
import {
  ALONE_LAYOUT,
  grantedAttemptLua,
  markAfterGrantLua,
  missedAttemptLua,
  type SleeperArgument,
  WAITING_LAYOUT,
} from './wake-one.lua.js';

/**
 * The answer for a lock passed without its turn key whose fence is marked by a turn: nothing was
 * granted; ask again with the turn key (`AcquireInput.withTurns`).
 */
export const ASK_WITH_TURN = 'turn';

/**
 * Acquires a batch of locks in one round trip and one atomic script run.
 *
 * ARGV[1] = the layout: one character per lock, `w` for a lock passed with the keys of its
 * waiters, `-` for one passed alone. Then per lock, in order:
 * - alone: KEYS = the lock key and its fence key; ARGV = owner token, ttl in ms and the fence
 *   key's lifetime in ms (the ttl plus the fence retention), as text;
 * - with its waiters: KEYS = the lock key, its fence key, its sleepers key and its turn key (same
 *   hash tag); ARGV = the same three, then the sleeper registration of the caller's process (see
 *   `SleeperArgument`): a missed attempt registers it and marks the lease it found, so that its
 *   release wakes it (see `wakeOneLua`), and a granted one drops it (and marks its own lease while
 *   others stay registered).
 * A free key whose turn belongs to another process is refused. A lock passed alone whose fence is
 * marked by a turn is not granted and answered {@link ASK_WITH_TURN}: a process that has not waited
 * on the key lately passes two keys and reads no more than it did before processes registered.
 * Returns { nowMs, then per lock: its fencing token (an integer) when granted, its holder's PTTL
 * as text when refused, or `"turn"` }. A lone lock granted under the clock's token is answered
 * with the token alone, and any other lone answer but a token with that text alone.
 *
 * The lock key holds "<fencing token>:<owner>" with PX = ttl. The fencing token is the larger of
 * the key's last token + 1 (kept in the fence key) and the server's clock in microseconds, so it
 * keeps increasing even if the fence key expired or the server lost its data in a restart (see
 * `lockGrantLua`, given the clock as the proposal). The same owner asking again while it holds the
 * key gets its lease refreshed and the same token: a retried acquire whose first answer was lost
 * is harmless.
 */
export const ACQUIRE_LUA = `${SERVER_CLOCK_LUA}${OWNER_CHECK_LUA}
local layout = ARGV[1]
local out = { nowMs }
local k, a = 1, 2
for i = 1, #layout do
  local lockKey, fenceKey, sleepersKey, turnKey = KEYS[k], KEYS[k + 1], false, false
  local owner, ttl, fenceTtl, sleeper = ARGV[a], ARGV[a + 1], ARGV[a + 2], ''
  if string.byte(layout, i) == ${WAITING_LAYOUT.charCodeAt(0)} then
    sleepersKey, turnKey, sleeper = KEYS[k + 2], KEYS[k + 3], ARGV[a + 3]
    k, a = k + 4, a + 4
  else
    k, a = k + 2, a + 3
  end
  local value = nowText .. ':' .. owner
  ${lockGrantLua('nowText', { turns: true })}
  if token then
    ${grantedAttemptLua()}${markAfterGrantLua()}
    out[i + 1] = token
  elseif turnUnread then
    out[i + 1] = '${ASK_WITH_TURN}'
  else
    ${missedAttemptLua()}
    local pttl = redis.call('PTTL', lockKey)
    if turnKey then pttl = math.max(pttl, redis.call('PTTL', turnKey)) end
    out[i + 1] = tostring(pttl)
  end
end
if #out == 2 and (out[2] == nowUs or type(out[2]) == 'string') then
  return out[2]
end
return out
`;

/** A batch of plain locks to take, with how long each fence key outlives its lease. */
export interface AcquireInput {
  readonly locks: readonly AcquireRequest[];
  readonly fenceRetentionMs: number;
  /**
   * Per lock, this process's sleeper argument (`RedisContext.waitingSleeper`): a lock with one
   * (even `''`) is passed with the keys of its waiters, one without (`undefined`, or no array)
   * alone.
   */
  readonly sleepers?: readonly (SleeperArgument | undefined)[];
  /** Pass every lock with the keys of its waiters (after an {@link ASK_WITH_TURN}). */
  readonly withTurns?: boolean;
}

/** Per lock: its result, or {@link ASK_WITH_TURN} for a lock passed alone. */
export type AcquireAnswer = AcquireResult | typeof ASK_WITH_TURN;

/** The plain-lock acquire of `RedisLockBackend`: one answer per lock, in order. */
export const ACQUIRE = new RedisScript<AcquireInput, AcquireAnswer[]>({
  name: 'acquire',
  source: ACQUIRE_LUA,
  call: ({ locks, fenceRetentionMs, sleepers, withTurns }) => {
    const keys: string[] = [];
    const args: string[] = [''];
    let layout = '';
    for (let i = 0; i < locks.length; i++) {
      const lock = locks[i]!;
      const lockKey = lockKeyOf(lock.key);
      const ttl = String(lock.ttlMs);
      const fenceTtl = String(lock.ttlMs + fenceRetentionMs);
      const sleeper = sleepers?.[i];
      if (passedAlone(sleeper, withTurns)) {
        layout += ALONE_LAYOUT;
        keys.push(lockKey, fenceKeyOf(lockKey));
        args.push(lock.owner, ttl, fenceTtl);
      } else {
        layout += WAITING_LAYOUT;
        keys.push(lockKey, fenceKeyOf(lockKey), sleepersKeyOf(lockKey), turnKeyOf(lockKey));
        args.push(lock.owner, ttl, fenceTtl, sleeper ?? '');
      }
    }
    args[0] = layout;
    return { keys, args };
  },
  reply: (raw, { locks, sleepers, withTurns }) => {
    if (!Array.isArray(raw)) {
      if (locks.length !== 1) return undefined;
      // A lone grant under the clock's token: now is its ms part.
      const lone = integer(raw);
      if (lone !== undefined) return [granted(lone, Math.floor(lone / 1000), locks[0]!.ttlMs)];
      if (raw === ASK_WITH_TURN && passedAlone(sleepers?.[0], withTurns)) {
        return [ASK_WITH_TURN];
      }
      const pttl = integerText(raw);
      return pttl === undefined ? undefined : [missed(pttl)];
    }
    const nowMs = integer(raw[0]);
    if (nowMs === undefined || raw.length !== locks.length + 1) return undefined;
    const results: AcquireAnswer[] = [];
    for (let i = 0; i < locks.length; i++) {
      const value = raw[i + 1];
      const fencingToken = integer(value);
      if (fencingToken !== undefined) {
        results.push(granted(fencingToken, nowMs, locks[i]!.ttlMs));
        continue;
      }
      if (value === ASK_WITH_TURN && passedAlone(sleepers?.[i], withTurns)) {
        results.push(ASK_WITH_TURN);
        continue;
      }
      const pttl = integerText(value);
      if (pttl === undefined) return undefined;
      results.push(missed(pttl));
    }
    return results;
  },
  returns: '{ nowMs, per lock: token | "<pttl>" | "turn" }, or a lone token, "<pttl>" or "turn"',
});

/** Whether a lock with this sleeper argument is passed without the keys of its waiters. */
function passedAlone(
  sleeper: SleeperArgument | undefined,
  withTurns: boolean | undefined,
): boolean {
  return sleeper === undefined && withTurns !== true;
}

function granted(fencingToken: number, nowMs: number, ttlMs: number): AcquireResult {
  return { acquired: true, fencingToken: BigInt(fencingToken), expiresAt: nowMs + ttlMs };
}
