import type { AcquireResult } from '../../../contract/lease.js';
import { fenceKeyOf, lockKeyOf, sleepersKeyOf } from '../redis-keys.js';
import { leaseReply } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { lockValueLua } from './lock-value.lua.js';
import { OWNER_CHECK_LUA } from './owner-check.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';
import { registerSleeperLua, unregisterSleeperLua } from './wake-one.lua.js';

/**
 * Takes several locks at once, all or none, for one owner with one fencing token.
 *
 * KEYS[3i-2] = lock key i, KEYS[3i-1] = its fence key, KEYS[3i] = its sleepers key.
 * ARGV[1] = owner, ARGV[2] = ttl ms, ARGV[3] = how long a fence key outlives its lease, in ms,
 * ARGV[4] = the caller's sleeper registration (see `RedisWakeups.sleeper`): a miss registers the
 * process on every busy key, so that the release of any of them wakes it; a grant drops it.
 * Returns { nowMs, 1, "<fencing token>" } or { nowMs, 0, ms until the last busy key frees }.
 *
 * The token is larger than every earlier token of each key (and at least the server clock in µs),
 * and is stored on each key as a plain lock's would be, so plain locks on any of the keys and
 * multi-key locks exclude each other. The owner already holding every key refreshes them all.
 */
export const MULTI_ACQUIRE_LUA = `${SERVER_CLOCK_LUA}${OWNER_CHECK_LUA}
local owner, ttl, grace, sleeper = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local n = #KEYS / 3
local busyFor, mine, mineToken, last = nil, 0, nil, 0
for i = 1, n do
  ${lockValueLua('value', 'KEYS[3 * i - 2]')}
  if value then
    local holder, token = leaseOf(value)
    if holder == owner then
      mine = mine + 1
      mineToken = token
    else
      busyFor = math.max(busyFor or 0, redis.call('PTTL', KEYS[3 * i - 2]))
      local sleepersKey = KEYS[3 * i]
      ${registerSleeperLua()}
    end
  end
  last = math.max(last, tonumber(redis.call('GET', KEYS[3 * i - 1])) or 0)
end
if busyFor then return { nowMs, 0, busyFor } end
for i = 1, n do
  local sleepersKey = KEYS[3 * i]
  ${unregisterSleeperLua()}
end
if mine == n then
  for i = 1, n do redis.call('PEXPIRE', KEYS[3 * i - 2], ttl) end
  return { nowMs, 1, mineToken }
end
local tokenText = string.format('%.0f', math.max(last + 1, nowUs))
for i = 1, n do
  redis.call('SET', KEYS[3 * i - 2], tokenText .. ':' .. owner, 'PX', ttl)
  redis.call('SET', KEYS[3 * i - 1], tokenText, 'PX', ttl + grace)
end
return { nowMs, 1, tokenText }
`;

/** One attempt at several keys, sorted and distinct. */
export interface MultiAcquireInput {
  readonly keys: readonly string[];
  readonly owner: string;
  readonly ttlMs: number;
  readonly fenceRetentionMs: number;
  /** This process's sleeper registration (`RedisWakeups.sleeper`); none when absent. */
  readonly sleeper?: string;
}

export const MULTI_ACQUIRE = new RedisScript<MultiAcquireInput, AcquireResult>({
  name: 'multi-acquire',
  source: MULTI_ACQUIRE_LUA,
  call: ({ keys, owner, ttlMs, fenceRetentionMs, sleeper }) => ({
    keys: keys.flatMap((key) => {
      const lockKey = lockKeyOf(key);
      return [lockKey, fenceKeyOf(lockKey), sleepersKeyOf(lockKey)];
    }),
    args: [owner, ttlMs, fenceRetentionMs, sleeper ?? ''],
  }),
  reply: (raw, { ttlMs }) => leaseReply(raw, ttlMs),
  returns: '{ nowMs, 1, "<token>" } or { nowMs, 0, ms until the last busy key frees }',
});
