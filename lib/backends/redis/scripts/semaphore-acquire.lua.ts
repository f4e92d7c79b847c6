import type { AcquireResult } from '../../../contract/lease.js';
import { fenceKeyOf, lockKeyOf, permitsKeyOf } from '../redis-keys.js';
import { leaseReply } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { SEMAPHORE_FUNCTIONS_LUA } from './semaphore.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';
import { fenceNumberLua } from './wake-one.lua.js';

/**
 * Takes one permit of a semaphore.
 *
 * KEYS[1] = the semaphore (sorted set), KEYS[2] = its permits hash, KEYS[3] = its fence key.
 * ARGV[1] = owner, ARGV[2] = ttl ms, ARGV[3] = permits, ARGV[4] = how long the fence key
 * outlives a permit, in ms.
 * Returns { nowMs, 1, "<fencing token>" } or { nowMs, 0, ms until the first permit expires }.
 *
 * Tokens follow the mutex rule (last token of the key + 1, at least the server clock in µs), so
 * each permit granted gets a larger token than every permit before it.
 */
export const SEMAPHORE_ACQUIRE_LUA = `${SERVER_CLOCK_LUA}
local semKey, permitsKey, fenceKey = KEYS[1], KEYS[2], KEYS[3]
local owner, ttl, permits, grace = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
${SEMAPHORE_FUNCTIONS_LUA}
local mixed = refuseOtherUse()
if mixed then return mixed end
dropExpired()
if redis.call('ZSCORE', semKey, owner) then
  redis.call('ZADD', semKey, nowMs + ttl, owner)
  keepUntilLastExpiry()
  return { nowMs, 1, redis.call('HGET', permitsKey, owner) }
end
if redis.call('ZCARD', semKey) >= permits then
  local first = redis.call('ZRANGE', semKey, 0, 0, 'WITHSCORES')
  return { nowMs, 0, tonumber(first[2]) - nowMs }
end
local token = math.max((${fenceNumberLua("redis.call('GET', fenceKey)")} or 0) + 1, nowUs)
local tokenText = string.format('%.0f', token)
redis.call('ZADD', semKey, nowMs + ttl, owner)
redis.call('HSET', permitsKey, owner, tokenText)
if redis.call('PTTL', fenceKey) < ttl + grace then
  redis.call('SET', fenceKey, tokenText, 'PX', ttl + grace)
else
  redis.call('SET', fenceKey, tokenText, 'KEEPTTL')
end
keepUntilLastExpiry()
return { nowMs, 1, tokenText }
`;

/** One attempt at a permit. */
export interface SemaphoreAcquireInput {
  readonly key: string;
  readonly owner: string;
  readonly ttlMs: number;
  readonly permits: number;
  readonly fenceRetentionMs: number;
}

export const SEMAPHORE_ACQUIRE = new RedisScript<SemaphoreAcquireInput, AcquireResult>({
  name: 'semaphore-acquire',
  source: SEMAPHORE_ACQUIRE_LUA,
  call: ({ key, owner, ttlMs, permits, fenceRetentionMs }) => {
    const lockKey = lockKeyOf(key);
    return {
      keys: [lockKey, permitsKeyOf(lockKey), fenceKeyOf(lockKey)],
      args: [owner, ttlMs, permits, fenceRetentionMs],
    };
  },
  reply: (raw, { ttlMs }) => leaseReply(raw, ttlMs),
  returns: '{ nowMs, 1, "<token>" } or { nowMs, 0, ms until a permit frees }',
});
