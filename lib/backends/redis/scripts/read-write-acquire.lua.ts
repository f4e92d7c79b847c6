import type { AcquireResult } from '../../../contract/lease.js';
import type { LockMode } from '../../../contract/read-write-locks.js';
import { lockKeyOf } from '../redis-keys.js';
import { leaseReply } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import {
  READ_HOLDS_LUA,
  READ_WRITE_PROLOGUE_LUA,
  READ_WRITE_QUEUE_LUA,
  readWriteKeys,
} from './read-write.lua.js';
import { fenceNumberLua } from './wake-one.lua.js';

/**
 * One attempt at a read or a write hold of a read-write lock (see `READ_HOLDS_LUA` for the keys).
 *
 * KEYS = `readWriteKeys(lock key)`: lock key, fence key, readers hash, queue, tickets.
 * ARGV[1] = owner, ARGV[2] = ttl ms, ARGV[3] = "read" | "write", ARGV[4] = "1" for a fair write,
 * ARGV[5] = ticket ttl ms, ARGV[6] = "1" to queue when busy, ARGV[7] = how long the fence key
 * outlives a hold, in ms.
 * Returns { nowMs, 1, "<fencing token>" } or { nowMs, 0, ms until the hold that blocks it ends,
 * -1 when no hold does (a ticket ahead) }; the MIXED_USE error reply on a semaphore's key.
 *
 * A read enters unless a write hold lives or a live write ticket is ahead of it (all tickets are
 * ahead of a caller without one); a write unless any hold lives or a live read ticket (with fair:
 * any ticket) is ahead of it. An owner holding in its mode gets its hold refreshed and its token
 * back. A grant drops the owner's ticket; a miss takes or refreshes it, or without join drops it
 * and wakes the key's waiters (on "<lock key>:released").
 */
export const READ_WRITE_ACQUIRE_LUA = `${READ_WRITE_PROLOGUE_LUA}
local owner, ttl, mode, fair = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4] == '1'
local ticketTtl, joins, grace = tonumber(ARGV[5]), ARGV[6] == '1', tonumber(ARGV[7])
${READ_HOLDS_LUA}${READ_WRITE_QUEUE_LUA}
-- The next fencing token of the key (the mutex's rule); the fence key lives at least ttl + grace.
local function nextToken()
  local token = math.max((${fenceNumberLua("redis.call('GET', fenceKey)")} or 0) + 1, nowUs)
  local text = string.format('%.0f', token)
  if redis.call('PTTL', fenceKey) < ttl + grace then
    redis.call('SET', fenceKey, text, 'PX', ttl + grace)
  else
    redis.call('SET', fenceKey, text, 'KEEPTTL')
  end
  return text
end

local held, mixed = heldAs()
if mixed then return mixed end
local reads = held == 'read' and liveReads() or 0
if held == 'read' and reads == 0 then held = nil end

local function miss(retryMs)
  if joins then
    join(owner, mode, ticketTtl)
  elseif leave(owner) then
    -- A ticket gone may let in a waiter it held back.
    redis.call('PUBLISH', lockKey .. ':released', '')
  end
  return { nowMs, 0, retryMs }
end

if mode == 'read' then
  if held == 'write' then return miss(redis.call('PTTL', lockKey)) end
  if held == 'read' and redis.call('ZSCORE', lockKey, owner) then
    redis.call('ZADD', lockKey, nowMs + ttl, owner)
    keepReadsUntilLast()
    leave(owner)
    return { nowMs, 1, redis.call('HGET', readersKey, owner) }
  end
  if queuedAhead(owner, 'write') then return miss(reads > 0 and firstReadEndsIn() or -1) end
  local token = nextToken()
  redis.call('ZADD', lockKey, 0, MARK, nowMs + ttl, owner)
  redis.call('HSET', readersKey, owner, token)
  keepReadsUntilLast()
  leave(owner)
  return { nowMs, 1, token }
end

if held == 'write' then
  local holder, token = leaseOf(redis.call('GET', lockKey))
  if holder ~= owner then return miss(redis.call('PTTL', lockKey)) end
  redis.call('PEXPIRE', lockKey, ttl)
  leave(owner)
  return { nowMs, 1, token }
end
if held == 'read' then return miss(firstReadEndsIn()) end
if queuedAhead(owner, fair and '*' or 'read') then return miss(-1) end
local token = nextToken()
redis.call('SET', lockKey, token .. ':' .. owner, 'PX', ttl)
leave(owner)
return { nowMs, 1, token }
`;

/** One read-write acquire attempt. */
export interface ReadWriteAcquireInput {
  readonly key: string;
  readonly owner: string;
  readonly ttlMs: number;
  readonly mode: LockMode;
  readonly fair: boolean;
  readonly ticketTtlMs: number;
  /** Queue when busy. */
  readonly join: boolean;
  readonly fenceRetentionMs: number;
}

export const READ_WRITE_ACQUIRE = new RedisScript<ReadWriteAcquireInput, AcquireResult>({
  name: 'read-write-acquire',
  source: READ_WRITE_ACQUIRE_LUA,
  call: (input) => ({
    keys: readWriteKeys(lockKeyOf(input.key)),
    args: [
      input.owner,
      input.ttlMs,
      input.mode,
      input.fair ? 1 : 0,
      input.ticketTtlMs,
      input.join ? 1 : 0,
      input.fenceRetentionMs,
    ],
  }),
  reply: (raw, { ttlMs }) => leaseReply(raw, ttlMs),
  returns: '{ nowMs, 1, "<token>" } or { nowMs, 0, ms until a blocking hold ends | -1 }',
});
