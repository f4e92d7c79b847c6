import type { ReleaseRequest } from '../../shared/lease-requests.js';
import { lockKeyOf } from '../redis-keys.js';
import { flag } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import {
  READ_HOLDS_LUA,
  READ_WRITE_PROLOGUE_LUA,
  READ_WRITE_QUEUE_LUA,
  readWriteKeys,
} from './read-write.lua.js';

/**
 * Ends an owner's read or write hold of a read-write lock, and drops its ticket. Publishes a
 * wake-up on "<lock key>:released" when that may let a waiter in: a write hold ended, the last read
 * hold ended, or a ticket was dropped.
 *
 * KEYS = `readWriteKeys(lock key)`: lock key, fence key, readers hash, queue, tickets.
 * ARGV[1] = owner.
 * Returns 1 when this call ended a live hold of the owner, else 0.
 */
export const READ_WRITE_RELEASE_LUA = `${READ_WRITE_PROLOGUE_LUA}
local owner = ARGV[1]
${READ_HOLDS_LUA}${READ_WRITE_QUEUE_LUA}
local released, wake = 0, false
local held = heldAs()
if held == 'write' then
  if leaseOf(redis.call('GET', lockKey)) == owner then
    redis.call('DEL', lockKey)
    released, wake = 1, true
  end
elseif held == 'read' then
  local score = redis.call('ZSCORE', lockKey, owner)
  if score then
    redis.call('ZREM', lockKey, owner)
    redis.call('HDEL', readersKey, owner)
    if tonumber(score) > nowMs then released = 1 end
    keepReadsUntilLast()
    wake = liveReads() == 0
  end
end
if leave(owner) then wake = true end
if wake then redis.call('PUBLISH', lockKey .. ':released', '') end
return released
`;

export const READ_WRITE_RELEASE = new RedisScript<ReleaseRequest, boolean>({
  name: 'read-write-release',
  source: READ_WRITE_RELEASE_LUA,
  call: ({ key, owner }) => ({ keys: readWriteKeys(lockKeyOf(key)), args: [owner] }),
  reply: flag,
  returns: '1 | 0',
});
