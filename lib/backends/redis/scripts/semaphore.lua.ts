import { READ_HOLDS_MARK } from './lock-value.lua.js';

/**
 * The Lua shared by the semaphore scripts. A semaphore is a sorted set of owners scored by the
 * store-clock ms at which their permit expires (the lock key itself), with a hash of each owner's
 * fencing token beside it. Prepended after `SERVER_CLOCK_LUA` and these locals: `semKey`, `permitsKey`.
 */
export const SEMAPHORE_FUNCTIONS_LUA = `
local function refuseOtherUse()
  local kind = redis.call('TYPE', semKey).ok
  if kind == 'string' then
    return redis.error_reply('NESTJS_LOCKER_MIXED_USE this key is held as a mutex; use one key either as a mutex or as a semaphore')
  end
  if kind == 'zset' and redis.call('ZSCORE', semKey, '${READ_HOLDS_MARK}') then
    return redis.error_reply('NESTJS_LOCKER_MIXED_USE this key is held as a read-write lock; use one key either as a read-write lock or as a semaphore')
  end
end

local function dropExpired()
  local expired = redis.call('ZRANGEBYSCORE', semKey, '-inf', nowMs)
  for _, who in ipairs(expired) do
    redis.call('ZREM', semKey, who)
    redis.call('HDEL', permitsKey, who)
  end
end

-- Both keys live as long as the last permit does.
local function keepUntilLastExpiry()
  local last = redis.call('ZRANGE', semKey, -1, -1, 'WITHSCORES')[2]
  if last then
    local ms = math.max(1, tonumber(last) - nowMs)
    redis.call('PEXPIRE', semKey, ms)
    redis.call('PEXPIRE', permitsKey, ms)
  end
end
`;
