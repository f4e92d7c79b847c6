import {
  fenceKeyOf,
  readersKeyOf,
  readWriteQueueKeyOf,
  readWriteTicketsKeyOf,
} from '../redis-keys.js';
import { READ_HOLDS_MARK } from './lock-value.lua.js';
import { OWNER_CHECK_LUA } from './owner-check.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';

/**
 * The prologue of the read-write acquire and release scripts: the server clock, the owner check
 * and the key names of `READ_HOLDS_LUA` and `READ_WRITE_QUEUE_LUA` (from `readWriteKeys`).
 */
export const READ_WRITE_PROLOGUE_LUA = `${SERVER_CLOCK_LUA}${OWNER_CHECK_LUA}
local lockKey, fenceKey, readersKey, queueKey, ticketsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
`;

/**
 * The Lua of read holds, shared by the read-write scripts. Needs the locals `nowMs`, `lockKey` and
 * `readersKey`.
 *
 * A write hold is a mutex lease: the lock key is the string "<fencing token>:<owner>" with PX.
 * Read holds are a sorted set at the lock key itself (owner → store-clock expiry ms, plus the
 * member `READ_HOLDS_MARK` scored 0), so a plain acquire misses while they live; their tokens are
 * the hash `readersKey` (owner → token). Both live as long as the last read hold.
 */
export const READ_HOLDS_LUA = `
local MARK = '${READ_HOLDS_MARK}'

-- What holds the key: 'write' (a write or plain lease), 'read' (read holds, live or not), or nil
-- when free; then the error reply for a semaphore's key.
local function heldAs()
  local kind = redis.call('TYPE', lockKey).ok
  if kind == 'none' then return nil end
  if kind == 'string' then return 'write' end
  if kind == 'zset' and redis.call('ZSCORE', lockKey, MARK) then return 'read' end
  return nil, redis.error_reply('NESTJS_LOCKER_MIXED_USE this key is held as a semaphore; use one key either as a semaphore or as a read-write lock')
end

-- Both read keys live as long as the last read hold; deleted with it.
local function keepReadsUntilLast()
  local last = redis.call('ZRANGE', lockKey, -1, -1, 'WITHSCORES')[2]
  if not last or tonumber(last) == 0 then
    redis.call('DEL', lockKey, readersKey)
    return
  end
  local ms = math.max(1, tonumber(last) - nowMs)
  redis.call('PEXPIRE', lockKey, ms)
  redis.call('PEXPIRE', readersKey, ms)
end

-- Drops the expired read holds; the number of live ones (both keys are gone when none is).
local function liveReads()
  local expired = redis.call('ZRANGEBYSCORE', lockKey, '(0', nowMs)
  for _, who in ipairs(expired) do
    redis.call('ZREM', lockKey, who)
    redis.call('HDEL', readersKey, who)
  end
  if #expired > 0 then keepReadsUntilLast() end
  return math.max(0, redis.call('ZCARD', lockKey) - 1)
end

-- Ms until the first live read hold ends (the mark is the first member, scored 0).
local function firstReadEndsIn()
  return tonumber(redis.call('ZRANGE', lockKey, 1, 1, 'WITHSCORES')[2]) - nowMs
end

`;

/**
 * The Lua of the queue, shared by the read-write acquire and release scripts. Needs the locals of
 * `READ_WRITE_PROLOGUE_LUA`.
 *
 * Waiters hold tickets: the sorted set `queueKey` (owner → arrival, strictly increasing, so a
 * waiter that refreshes its live ticket keeps its place) and the hash `ticketsKey`
 * (owner → "<mode>:<ticket expiry ms>"); both live as long as the last ticket.
 */
export const READ_WRITE_QUEUE_LUA = `
-- Drops who's ticket; whether it had one. Redis deletes the queue keys with their last member.
local function leave(who)
  redis.call('HDEL', ticketsKey, who)
  return redis.call('ZREM', queueKey, who) == 1
end

-- The mode of who's ticket when it is live; drops it when it expired.
local function liveTicket(who)
  local ticket = redis.call('HGET', ticketsKey, who)
  if ticket then
    local sep = string.find(ticket, ':', 1, true)
    if tonumber(string.sub(ticket, sep + 1)) > nowMs then return string.sub(ticket, 1, sep - 1) end
  end
  leave(who)
  return nil
end

-- Whether a live ticket ahead of who (all of them, when who has none) is in mode 'blocking'
-- (any mode for '*'). Expired tickets met on the way are dropped.
local function queuedAhead(who, blocking)
  local mine = redis.call('ZSCORE', queueKey, who)
  local ahead = mine and redis.call('ZRANGEBYSCORE', queueKey, '-inf', '(' .. mine)
    or redis.call('ZRANGE', queueKey, 0, -1)
  for _, other in ipairs(ahead) do
    local mode = liveTicket(other)
    if mode and (blocking == '*' or mode == blocking) then return true end
  end
  return false
end

-- Takes who's ticket at the tail, or refreshes it in its place while it is live.
local function join(who, mode, ticketTtl)
  if not liveTicket(who) then
    local last = redis.call('ZRANGE', queueKey, -1, -1, 'WITHSCORES')[2]
    redis.call('ZADD', queueKey, math.max(nowUs, (tonumber(last) or 0) + 1), who)
  end
  redis.call('HSET', ticketsKey, who, mode .. ':' .. string.format('%.0f', nowMs + ticketTtl))
  for _, key in ipairs({ queueKey, ticketsKey }) do
    if redis.call('PTTL', key) < ticketTtl then redis.call('PEXPIRE', key, ticketTtl) end
  end
end
`;

/** The keys of a read-write lock, in the order of `READ_WRITE_PROLOGUE_LUA`. */
export function readWriteKeys(lockKey: string): string[] {
  return [
    lockKey,
    fenceKeyOf(lockKey),
    readersKeyOf(lockKey),
    readWriteQueueKeyOf(lockKey),
    readWriteTicketsKeyOf(lockKey),
  ];
}
