/**
 * Reads one lease: a mutex, or the permits of a semaphore.
 *
 * KEYS[1] = the lock key, KEYS[2] = its permits hash (read only for a semaphore).
 * Returns { nowMs, value "<fencing token>:<owner>" | false, PTTL } for a mutex, and for a
 * semaphore { nowMs, "<fencing token>:<owner>" of the permit granted last | false, its remaining
 * ms, the number of live permits }.
 */
export const INSPECT_LUA = `
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('TYPE', KEYS[1]).ok ~= 'zset' then
  return { nowMs, redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]) }
end
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. nowMs, '+inf', 'WITHSCORES')
local best, bestToken, bestExpiry = nil, -1, 0
for i = 1, #live, 2 do
  local token = redis.call('HGET', KEYS[2], live[i])
  if token and tonumber(token) > bestToken then
    best, bestToken, bestExpiry = token .. ':' .. live[i], tonumber(token), tonumber(live[i + 1])
  end
end
if not best then return { nowMs, false, -2 } end
return { nowMs, best, bestExpiry - nowMs, #live / 2 }
`;
