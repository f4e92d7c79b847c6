import type { ReleaseRequest } from '../../shared/lease-requests.js';
import { lockKeyOf } from '../redis-keys.js';
import { batchFlags } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { lockValueLua } from './lock-value.lua.js';
import { OWNER_CHECK_LUA } from './owner-check.lua.js';

/**
 * Releases a batch of locks, each only if its owner holds it, and publishes a wake-up on the
 * lock's channel ("<lock key>:released") for the waiters.
 *
 * KEYS[i] = lock key i.
 * ARGV[i] = owner token of lock i.
 * Returns per lock: 1 released | 0 not held by that owner; a lone lock's answer is the whole reply.
 */
export const RELEASE_LUA = `${OWNER_CHECK_LUA}
local out = {}
for i = 1, #KEYS do
  ${lockValueLua('value', 'KEYS[i]')}
  if leaseOf(value) == ARGV[i] then
    redis.call('DEL', KEYS[i])
    redis.call('PUBLISH', KEYS[i] .. ':released', '')
    out[i] = 1
  else
    out[i] = 0
  end
end
if #out == 1 then
  return out[1]
end
return out
`;

/**
 * Releases plain locks (and the keys of multi-key locks): per lock, whether this call released it.
 * Shared with the Redlock backend, which runs it on each node.
 */
export const RELEASE = new RedisScript<readonly ReleaseRequest[], boolean[]>({
  name: 'release',
  source: RELEASE_LUA,
  call: (locks) => ({
    keys: locks.map((lock) => lockKeyOf(lock.key)),
    args: locks.map((lock) => lock.owner),
  }),
  reply: (raw, locks) => batchFlags(raw, locks.length),
  returns: '1 | 0 per lock (a lone lock: 1 | 0)',
});
