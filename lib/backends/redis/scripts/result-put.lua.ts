import { lockKeyOf, resultKeyOf } from '../redis-keys.js';
import { flag } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { OWNER_CHECK_LUA } from './owner-check.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';

/**
 * Stores the outcome of a shared run, only while its runner holds the key's mutex lease: a runner
 * whose lease was lost, and taken over, cannot overwrite its successor's outcome. The lock key may
 * be a sorted set (read holds, or a semaphore's permits): that is nobody's mutex lease, so the
 * value is read with a `pcall` and a put on such a key is refused, never a WRONGTYPE error (unlike
 * `lockValueLua`, which keeps the mutex scripts' error for a semaphore's key: here "not held" is
 * the contract's answer).
 *
 * KEYS[1] = the lock key, KEYS[2] = its result key (same hash tag: one Cluster slot).
 * ARGV[1] = the runner's owner token, ARGV[2] = the outcome, ARGV[3] = its ttl in ms.
 * Returns 1 stored | 0 not held by that owner. The result key holds "<server µs>:<outcome>" with
 * PX = ttl, so a read can tell the outcome's age by the server's clock.
 */
export const RESULT_PUT_LUA = `${OWNER_CHECK_LUA}
local value = redis.pcall('GET', KEYS[1])
if type(value) == 'table' or leaseOf(value) ~= ARGV[1] then return 0 end
${SERVER_CLOCK_LUA}
redis.call('SET', KEYS[2], nowText .. ':' .. ARGV[2], 'PX', ARGV[3])
return 1
`;

/** One outcome to store for the holder of a key. */
export interface ResultPutInput {
  readonly key: string;
  readonly owner: string;
  readonly value: string;
  readonly ttlMs: number;
}

/** The store half of `RedisResults`: whether the outcome was stored. */
export const RESULT_PUT = new RedisScript<ResultPutInput, boolean>({
  name: 'result-put',
  source: RESULT_PUT_LUA,
  call: ({ key, owner, value, ttlMs }) => {
    const lockKey = lockKeyOf(key);
    return { keys: [lockKey, resultKeyOf(lockKey)], args: [owner, value, String(ttlMs)] };
  },
  reply: flag,
  returns: '1 | 0',
});
