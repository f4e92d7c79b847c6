import { fenceKeyOf, queueKeyOf, ticketsKeyOf } from '../redis-keys.js';
import { OWNER_CHECK_LUA } from './owner-check.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';
import { fenceNumberLua } from './wake-one.lua.js';

/**
 * The Lua shared by the fair scripts: a per-key queue of waiters and the hand-off. Prepended to
 * `FAIR_ACQUIRE_LUA` and `FAIR_RELEASE_LUA`, which must set these locals first:
 * `nowUs`, `nowMs`, `lockKey`, `fenceKey`, `queueKey`, `ticketsKey`, `grace`.
 *
 * The queue is a sorted set of owners scored by arrival (server µs), so a waiter that refreshes its
 * ticket keeps its place. Each waiter's ticket is a hash field "<ticket expiry ms>:<ttl ms>:<inbox>":
 * the waiter is skipped once its ticket expired, and a hand-off grants it exactly the ttl it asked
 * for. A hand-off tells the new holder "<fencing token>:<expiry ms>:<owner>", so it holds the lock
 * without another round trip: on its process's inbox channel (as
 * "<token>:<expiry ms>:<owner length>:<owner><lock key>:released"), or, without an inbox, on
 * "<lock key>:released" itself. A plain release publishes "" there.
 */
export const FAIR_FUNCTIONS_LUA = `
local function leave(who)
  redis.call('ZREM', queueKey, who)
  redis.call('HDEL', ticketsKey, who)
end

local function head()
  while true do
    local first = redis.call('ZRANGE', queueKey, 0, 0)[1]
    if not first then return nil end
    local ticket = redis.call('HGET', ticketsKey, first)
    if ticket then
      local sep = string.find(ticket, ':', 1, true)
      local sep2 = string.find(ticket, ':', sep + 1, true)
      if tonumber(string.sub(ticket, 1, sep - 1)) > nowMs then
        return first, tonumber(string.sub(ticket, sep + 1, (sep2 or 0) - 1)), string.sub(ticket, (sep2 or #ticket) + 1)
      end
    end
    leave(first)
  end
end

local function grant(who, ttl)
  local token = math.max((${fenceNumberLua("redis.call('GET', fenceKey)")} or 0) + 1, nowUs)
  local tokenText = string.format('%.0f', token)
  redis.call('SET', lockKey, tokenText .. ':' .. who, 'PX', ttl)
  redis.call('SET', fenceKey, tokenText, 'PX', ttl + grace)
  leave(who)
  return tokenText
end

local function handOff(who, ttl, inbox)
  local message = grant(who, ttl) .. ':' .. string.format('%.0f', nowMs + ttl) .. ':'
  local channel = lockKey .. ':released'
  if inbox ~= '' then
    redis.call('PUBLISH', inbox, message .. #who .. ':' .. who .. channel)
  else
    redis.call('PUBLISH', channel, message .. who)
  end
end
`;

/**
 * The prologue of a fair script: the server clock, the owner check and the names of
 * `FAIR_FUNCTIONS_LUA`.
 */
export const FAIR_PROLOGUE_LUA = `${SERVER_CLOCK_LUA}${OWNER_CHECK_LUA}
local lockKey, fenceKey, queueKey, ticketsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
`;

/** The keys of a fair lock, in the order of the fair scripts' KEYS. */
export function fairKeys(lockKey: string): string[] {
  return [lockKey, fenceKeyOf(lockKey), queueKeyOf(lockKey), ticketsKeyOf(lockKey)];
}
