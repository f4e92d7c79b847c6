import type { AcquireResult } from '../../../contract/lease.js';
import type { AcquireRequest } from '../../shared/lease-requests.js';
import { fenceKeyOf, lockKeyOf, sleepersKeyOf, turnKeyOf } from '../redis-keys.js';
import { integer, integerText, missed } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { lockGrantLua } from './lock-grant.lua.js';
import { OWNER_CHECK_LUA } from './owner-check.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';
import { grantedAttemptLua, missedAttemptLua, type SleeperArgument } from './wake-one.lua.js';

/**
 * Acquires a batch of locks in one round trip and one atomic script run.
 *
 * KEYS: for each lock i, KEYS[4i-3] = the lock key, KEYS[4i-2] = its fence key, KEYS[4i-1] = its
 * sleepers key, KEYS[4i] = its turn key (same hash tag).
 * ARGV[4i-3], ARGV[4i-2], ARGV[4i-1] = owner token, ttl in ms and the fence key's lifetime in ms
 * (the ttl plus the fence retention) of lock i, as text; ARGV[4i] = the sleeper registration of
 * the caller's process (see `SleeperArgument`): a missed attempt registers it, so that a release
 * wakes it (see `wakeOneLua`), and a granted one drops it. A free key whose turn belongs to another
 * process is refused.
 * Returns { nowMs, then per lock: its fencing token (an integer) when granted, or its holder's
 * PTTL as text when refused }. A lone lock granted under the clock's token is answered with the
 * token alone, and a lone refusal with the PTTL text alone.
 *
 * The lock key holds "<fencing token>:<owner>" with PX = ttl. The fencing token is the larger of
 * the key's last token + 1 (kept in the fence key) and the server's clock in microseconds, so it
 * keeps increasing even if the fence key expired or the server lost its data in a restart (see
 * `lockGrantLua`, given the clock as the proposal). The same owner asking again while it holds the
 * key gets its lease refreshed and the same token: a retried acquire whose first answer was lost
 * is harmless.
 */
export const ACQUIRE_LUA = `${SERVER_CLOCK_LUA}${OWNER_CHECK_LUA}
local out = { nowMs }
for i = 1, #KEYS / 4 do
  local k = 4 * i - 3
  local lockKey, fenceKey, sleepersKey, turnKey = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local owner, ttl, fenceTtl, sleeper = ARGV[k], ARGV[k + 1], ARGV[k + 2], ARGV[k + 3]
  local value = nowText .. ':' .. owner
  ${lockGrantLua('nowText', { turns: true })}
  if token then
    ${grantedAttemptLua()}
    out[i + 1] = token
  else
    ${missedAttemptLua()}
    out[i + 1] = tostring(math.max(redis.call('PTTL', lockKey), redis.call('PTTL', turnKey)))
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
  /** Per lock, this process's sleeper argument (`RedisWakeups.sleeper`); none when absent. */
  readonly sleepers?: readonly SleeperArgument[];
}

/** The plain-lock acquire of `RedisLockBackend`: one result per lock, in order. */
export const ACQUIRE = new RedisScript<AcquireInput, AcquireResult[]>({
  name: 'acquire',
  source: ACQUIRE_LUA,
  call: ({ locks, fenceRetentionMs, sleepers }) => {
    const keys: string[] = [];
    const args: string[] = [];
    for (let i = 0; i < locks.length; i++) {
      const lock = locks[i]!;
      const lockKey = lockKeyOf(lock.key);
      keys.push(lockKey, fenceKeyOf(lockKey), sleepersKeyOf(lockKey), turnKeyOf(lockKey));
      args.push(
        lock.owner,
        String(lock.ttlMs),
        String(lock.ttlMs + fenceRetentionMs),
        sleepers?.[i] ?? '',
      );
    }
    return { keys, args };
  },
  reply: (raw, { locks }) => {
    if (!Array.isArray(raw)) {
      if (locks.length !== 1) return undefined;
      // A lone grant under the clock's token: now is its ms part.
      const lone = integer(raw);
      if (lone !== undefined) return [granted(lone, Math.floor(lone / 1000), locks[0]!.ttlMs)];
      const pttl = integerText(raw);
      return pttl === undefined ? undefined : [missed(pttl)];
    }
    const nowMs = integer(raw[0]);
    if (nowMs === undefined || raw.length !== locks.length + 1) return undefined;
    const results: AcquireResult[] = [];
    for (const [i, lock] of locks.entries()) {
      const value = raw[i + 1];
      const fencingToken = integer(value);
      const pttl = fencingToken === undefined ? integerText(value) : undefined;
      if (fencingToken !== undefined) results.push(granted(fencingToken, nowMs, lock.ttlMs));
      else if (pttl !== undefined) results.push(missed(pttl));
      else return undefined;
    }
    return results;
  },
  returns: '{ nowMs, per lock: token | "<pttl>" }, or a lone token or "<pttl>"',
});

function granted(fencingToken: number, nowMs: number, ttlMs: number): AcquireResult {
  return { acquired: true, fencingToken: BigInt(fencingToken), expiresAt: nowMs + ttlMs };
}
