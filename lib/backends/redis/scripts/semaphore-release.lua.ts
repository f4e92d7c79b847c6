import type { ReleaseRequest } from '../../shared/lease-requests.js';
import { lockKeyOf, permitsKeyOf } from '../redis-keys.js';
import { flag } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { SEMAPHORE_FUNCTIONS_LUA } from './semaphore.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';

/**
 * Gives back one permit, if its owner still holds it, and wakes the semaphore's waiters.
 *
 * KEYS[1] = the semaphore, KEYS[2] = its permits hash.
 * ARGV[1] = owner.
 * Returns 1 released | 0 not held by that owner.
 */
export const SEMAPHORE_RELEASE_LUA = `${SERVER_CLOCK_LUA}
local semKey, permitsKey = KEYS[1], KEYS[2]
${SEMAPHORE_FUNCTIONS_LUA}
local score = redis.call('ZSCORE', semKey, ARGV[1])
redis.call('HDEL', permitsKey, ARGV[1])
if not score then return 0 end
redis.call('ZREM', semKey, ARGV[1])
if tonumber(score) <= nowMs then return 0 end
keepUntilLastExpiry()
redis.call('PUBLISH', semKey .. ':released', '')
return 1
`;

export const SEMAPHORE_RELEASE = new RedisScript<ReleaseRequest, boolean>({
  name: 'semaphore-release',
  source: SEMAPHORE_RELEASE_LUA,
  call: ({ key, owner }) => {
    const lockKey = lockKeyOf(key);
    return { keys: [lockKey, permitsKeyOf(lockKey)], args: [owner] };
  },
  reply: flag,
  returns: '1 | 0',
});
