import type { AcquireResult } from '../../../contract/lease.js';
import { fenceKeyOf, lockKeyOf, sleepersKeyOf, turnKeyOf } from '../redis-keys.js';
import { leaseReply } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { lockValueLua } from './lock-value.lua.js';
import { OWNER_CHECK_LUA } from './owner-check.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';
import {
  fenceNumberLua,
  grantedAttemptLua,
  markAfterGrantLua,
  missedAttemptLua,
  type SleeperArgument,
} from './wake-one.lua.js';

/**
 * Takes several locks at once, all or none, for one owner with one fencing token.
 *
 * KEYS[4i-3] = lock key i, KEYS[4i-2] = its fence key, KEYS[4i-1] = its sleepers key, KEYS[4i] =
 * its turn key.
 * ARGV[1] = owner, ARGV[2] = ttl ms, ARGV[3] = how long a fence key outlives its lease, in ms,
 * ARGV[4] = the caller's sleeper registration (see `RedisWakeups.sleeper`): a miss registers the
 * process on every busy key (and marks its lease), so that the release of any of them wakes it; a
 * grant drops it, and marks each lease it sets that other processes stay registered on. Turns
 * (see `missedAttemptLua`) do not keep a multi-key lock out.
 * Returns { nowMs, 1, "<fencing token>" } or { nowMs, 0, ms until the last busy key frees }.
 *
 * The token is larger than every earlier token of each key (and at least the server clock in µs),
 * and is stored on each key as a plain lock's would be, so plain locks on any of the keys and
 * multi-key locks exclude each other. The owner already holding every key refreshes them all.
 */
export const MULTI_ACQUIRE_LUA = `${SERVER_CLOCK_LUA}${OWNER_CHECK_LUA}
local owner, ttl, grace, sleeper = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local n = #KEYS / 4
local busyFor, mine, mineToken, last = nil, 0, nil, 0
for i = 1, n do
  local lockKey, fenceKey, sleepersKey, turnKey = KEYS[4 * i - 3], KEYS[4 * i - 2], KEYS[4 * i - 1], KEYS[4 * i]
  local fenceTtl = ttl + grace
  ${lockValueLua('value', 'lockKey')}
  if value then
    local holder, token = leaseOf(value)
    if holder == owner then
      mine = mine + 1
      mineToken = token
    else
      busyFor = math.max(busyFor or 0, redis.call('PTTL', lockKey))
      ${missedAttemptLua()}
    end
  end
  last = math.max(last, ${fenceNumberLua("redis.call('GET', fenceKey)")} or 0)
end
if busyFor then return { nowMs, 0, busyFor } end
for i = 1, n do
  local sleepersKey, turnKey = KEYS[4 * i - 1], KEYS[4 * i]
  ${grantedAttemptLua()}
end
if mine == n then
  for i = 1, n do redis.call('PEXPIRE', KEYS[4 * i - 3], ttl) end
  return { nowMs, 1, mineToken }
end
local tokenText = string.format('%.0f', math.max(last + 1, nowUs))
for i = 1, n do
  local lockKey, sleepersKey = KEYS[4 * i - 3], KEYS[4 * i - 1]
  redis.call('SET', lockKey, tokenText .. ':' .. owner, 'PX', ttl)
  redis.call('SET', KEYS[4 * i - 2], tokenText, 'PX', ttl + grace)
  ${markAfterGrantLua()}
end
return { nowMs, 1, tokenText }
`;

/** One attempt at several keys, sorted and distinct. */
export interface MultiAcquireInput {
  readonly keys: readonly string[];
  readonly owner: string;
  readonly ttlMs: number;
  readonly fenceRetentionMs: number;
  /** This process's sleeper argument (`RedisWakeups.sleeper`); none when absent. */
  readonly sleeper?: SleeperArgument;
}

export const MULTI_ACQUIRE = new RedisScript<MultiAcquireInput, AcquireResult>({
  name: 'multi-acquire',
  source: MULTI_ACQUIRE_LUA,
  call: ({ keys, owner, ttlMs, fenceRetentionMs, sleeper }) => ({
    keys: keys.flatMap((key) => {
      const lockKey = lockKeyOf(key);
      return [lockKey, fenceKeyOf(lockKey), sleepersKeyOf(lockKey), turnKeyOf(lockKey)];
    }),
    args: [owner, ttlMs, fenceRetentionMs, sleeper ?? ''],
  }),
  reply: (raw, { ttlMs }) => leaseReply(raw, ttlMs),
  returns: '{ nowMs, 1, "<token>" } or { nowMs, 0, ms until the last busy key frees }',
});
