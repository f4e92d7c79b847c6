import type { LeaseToExtend } from '../../../contract/lease.js';
import { lockKeyOf, permitsKeyOf } from '../redis-keys.js';
import { expiries } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { SEMAPHORE_FUNCTIONS_LUA } from './semaphore.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';

/**
 * Extends a batch of permits, each only if its owner's permit has not expired.
 *
 * KEYS[2i-1] = semaphore i, KEYS[2i] = its permits hash.
 * ARGV[2i-1], ARGV[2i] = owner and new ttl in ms of permit i.
 * Returns { nowMs, then per permit: 1 extended | 0 not held }.
 */
export const SEMAPHORE_EXTEND_LUA = `${SERVER_CLOCK_LUA}
local semKey, permitsKey
${SEMAPHORE_FUNCTIONS_LUA}
local out = { nowMs }
for i = 1, #KEYS / 2 do
  semKey, permitsKey = KEYS[2 * i - 1], KEYS[2 * i]
  local owner, ttl = ARGV[2 * i - 1], tonumber(ARGV[2 * i])
  local score = redis.call('ZSCORE', semKey, owner)
  if score and tonumber(score) > nowMs then
    redis.call('ZADD', semKey, nowMs + ttl, owner)
    keepUntilLastExpiry()
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;

/** Extends permits: each permit's new expiry, `undefined` when not held. */
export const SEMAPHORE_EXTEND = new RedisScript<readonly LeaseToExtend[], (number | undefined)[]>({
  name: 'semaphore-extend',
  source: SEMAPHORE_EXTEND_LUA,
  call: (permits) => ({
    keys: permits.flatMap((lease) => {
      const lockKey = lockKeyOf(lease.key);
      return [lockKey, permitsKeyOf(lockKey)];
    }),
    args: permits.flatMap((lease) => [lease.owner, lease.ttlMs]),
  }),
  reply: expiries,
  returns: '{ nowMs, 1 | 0 per permit }',
});
