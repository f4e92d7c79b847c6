import type { ReleaseRequest } from '../../shared/lease-requests.js';
import { lockKeyOf, sleepersKeyOf, turnKeyOf } from '../redis-keys.js';
import { batchFlags } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { lockValueLua } from './lock-value.lua.js';
import { OWNER_CHECK_LUA } from './owner-check.lua.js';
import { wakeOneLua } from './wake-one.lua.js';

/**
 * Releases a batch of locks, each only if its owner holds it, and wakes the lock's waiters: the
 * process registered longest as a sleeper, else everyone on the lock's channel
 * ("<lock key>:released"; see `wakeOneLua`).
 *
 * KEYS[3i-2] = lock key i, KEYS[3i-1] = its sleepers key, KEYS[3i] = its turn key.
 * ARGV[i] = owner token of lock i.
 * Returns per lock: 1 released | 0 not held by that owner; a lone lock's answer is the whole reply.
 */
export const RELEASE_LUA = `${OWNER_CHECK_LUA}
local out = {}
for i = 1, #KEYS / 3 do
  local k = 3 * i - 2
  local lockKey, sleepersKey, turnKey = KEYS[k], KEYS[k + 1], KEYS[k + 2]
  ${lockValueLua('value', 'lockKey')}
  if leaseOf(value) == ARGV[i] then
    redis.call('DEL', lockKey)
    local channel = lockKey .. ':released'
    ${wakeOneLua()}
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
  call: (locks) => {
    const keys: string[] = [];
    const args: string[] = [];
    for (const lock of locks) {
      const lockKey = lockKeyOf(lock.key);
      keys.push(lockKey, sleepersKeyOf(lockKey), turnKeyOf(lockKey));
      args.push(lock.owner);
    }
    return { keys, args };
  },
  reply: (raw, locks) => batchFlags(raw, locks.length),
  returns: '1 | 0 per lock (a lone lock: 1 | 0)',
});
