import { lockKeyOf } from '../redis-keys.js';
import { flag } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { FAIR_FUNCTIONS_LUA, FAIR_PROLOGUE_LUA, fairKeys } from './fair.lua.js';
import { lockValueLua } from './lock-value.lua.js';

/**
 * Releases a fair lock, or leaves its queue, and hands a free lock to the first live waiter.
 *
 * KEYS[1] = lock key, KEYS[2] = fence key, KEYS[3] = queue key, KEYS[4] = tickets key.
 * ARGV[1] = owner, ARGV[2] = how long the fence key outlives a lease, in ms.
 * Returns 1 when this call released the owner's lease, else 0.
 */
export const FAIR_RELEASE_LUA = `${FAIR_PROLOGUE_LUA}
local grace = tonumber(ARGV[2])
${FAIR_FUNCTIONS_LUA}
local owner = ARGV[1]
local released = 0
${lockValueLua('value', 'lockKey')}
if value and leaseOf(value) == owner then
  redis.call('DEL', lockKey)
  released = 1
  value = false
end
leave(owner)
if not value then
  local first, firstTtl, firstInbox = head()
  if first then
    handOff(first, firstTtl, firstInbox)
  elseif released == 1 then
    redis.call('PUBLISH', lockKey .. ':released', '')
  end
end
return released
`;

/** A fair release (or a waiter leaving the queue). */
export interface FairReleaseInput {
  readonly key: string;
  readonly owner: string;
  readonly fenceRetentionMs: number;
}

export const FAIR_RELEASE = new RedisScript<FairReleaseInput, boolean>({
  name: 'fair-release',
  source: FAIR_RELEASE_LUA,
  call: ({ key, owner, fenceRetentionMs }) => ({
    keys: fairKeys(lockKeyOf(key)),
    args: [owner, fenceRetentionMs],
  }),
  reply: flag,
  returns: '1 | 0',
});
