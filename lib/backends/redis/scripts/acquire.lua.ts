/**
 * Acquires a batch of locks in one round trip and one atomic script run.
 *
 * KEYS: for each lock i, KEYS[2i-1] = the lock key, KEYS[2i] = its fence key (same hash tag).
 * ARGV[1] = how long a fence key outlives its lease, in ms.
 * ARGV[2i], ARGV[2i+1] = owner token and ttl in ms of lock i.
 * Returns { nowMs, then per lock: 1, fencingToken | 0, holder's PTTL }.
 *
 * The lock key holds "<fencing token>:<owner>" with PX = ttl. The fencing token is the larger of
 * the key's last token + 1 (kept in the fence key) and the server's clock in microseconds, so it
 * keeps increasing even if the fence key expired or the server lost its data in a restart.
 * The same owner asking again while it holds the key gets its lease refreshed and the same token:
 * a retried acquire whose first answer was lost is harmless.
 */
export const ACQUIRE_LUA = `
local t = redis.call('TIME')
local nowUs = tonumber(t[1]) * 1000000 + tonumber(t[2])
local grace = tonumber(ARGV[1])
local out = { math.floor(nowUs / 1000) }
for i = 1, #KEYS / 2 do
  local lockKey, fenceKey = KEYS[2 * i - 1], KEYS[2 * i]
  local owner, ttl = ARGV[2 * i], ARGV[2 * i + 1]
  local token = math.max((tonumber(redis.call('GET', fenceKey)) or 0) + 1, nowUs)
  local tokenText = string.format('%.0f', token)
  if redis.call('SET', lockKey, tokenText .. ':' .. owner, 'NX', 'PX', ttl) then
    redis.call('SET', fenceKey, tokenText, 'PX', tonumber(ttl) + grace)
    out[#out + 1] = 1
    out[#out + 1] = token
  else
    local value = redis.call('GET', lockKey)
    local sep = string.find(value, ':', 1, true)
    if sep and string.sub(value, sep + 1) == owner then
      redis.call('PEXPIRE', lockKey, ttl)
      out[#out + 1] = 1
      out[#out + 1] = tonumber(string.sub(value, 1, sep - 1))
    else
      out[#out + 1] = 0
      out[#out + 1] = redis.call('PTTL', lockKey)
    end
  end
end
return out
`;
