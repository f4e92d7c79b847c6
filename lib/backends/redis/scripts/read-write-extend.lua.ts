import type { LeaseToExtend } from '../../../contract/lease.js';
import { lockKeyOf, readersKeyOf } from '../redis-keys.js';
import { expiries } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { READ_HOLDS_LUA } from './read-write.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';

/**
 * Extends a batch of read holds, each only if its owner's hold has not expired. A write hold is a
 * mutex lease, extended by `EXTEND`; here the key of one reads as not held.
 *
 * KEYS[2i-1] = lock key i, KEYS[2i] = its readers hash.
 * ARGV[2i-1], ARGV[2i] = owner and new ttl in ms of hold i.
 * Returns { nowMs, then per hold: 1 extended | 0 not held }.
 */
export const READ_WRITE_EXTEND_LUA = `${SERVER_CLOCK_LUA}
local lockKey, readersKey
${READ_HOLDS_LUA}
local out = { nowMs }
for i = 1, #KEYS / 2 do
  lockKey, readersKey = KEYS[2 * i - 1], KEYS[2 * i]
  local owner, ttl = ARGV[2 * i - 1], tonumber(ARGV[2 * i])
  local score = heldAs() == 'read' and redis.call('ZSCORE', lockKey, owner)
  if score and tonumber(score) > nowMs then
    redis.call('ZADD', lockKey, nowMs + ttl, owner)
    keepReadsUntilLast()
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;

/** Extends read holds: each hold's new expiry, `undefined` when not held. */
export const READ_WRITE_EXTEND = new RedisScript<readonly LeaseToExtend[], (number | undefined)[]>({
  name: 'read-write-extend',
  source: READ_WRITE_EXTEND_LUA,
  call: (holds) => ({
    keys: holds.flatMap((hold) => {
      const lockKey = lockKeyOf(hold.key);
      return [lockKey, readersKeyOf(lockKey)];
    }),
    args: holds.flatMap((hold) => [hold.owner, hold.ttlMs]),
  }),
  reply: expiries,
  returns: '{ nowMs, 1 | 0 per read hold }',
});
