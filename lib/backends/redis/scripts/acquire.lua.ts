/**
 * Acquires a batch of locks in one round trip and one atomic script run.
 *
 * KEYS: for each lock i, KEYS[2i-1] = the lock key, KEYS[2i] = its fence key (same hash tag).
 * ARGV[3i-2], ARGV[3i-1], ARGV[3i] = owner token, ttl in ms and the fence key's lifetime in ms
 * (the ttl plus the fence retention) of lock i, as text.
 * Returns { nowMs, then per lock: its fencing token (an integer) when granted, or its holder's
 * PTTL as text when refused }. A lone lock granted under the clock's token is answered with the
 * token alone, and a lone refusal with the PTTL text alone (see `parseAcquireReply`).
 *
 * The lock key holds "<fencing token>:<owner>" with PX = ttl. The fencing token is the larger of
 * the key's last token + 1 (kept in the fence key) and the server's clock in microseconds, so it
 * keeps increasing even if the fence key expired or the server lost its data in a restart. The
 * lock is set under the clock first and corrected in the rare case that the fence was ahead of
 * it, so that the usual grant costs two commands (SET NX, SET GET) and no number formatting.
 * The same owner asking again while it holds the key gets its lease refreshed and the same token:
 * a retried acquire whose first answer was lost is harmless.
 */
export const ACQUIRE_LUA = `
local t = redis.call('TIME')
local nowText = t[1] .. string.rep('0', 6 - #t[2]) .. t[2]
local nowUs = tonumber(nowText)
local out = { math.floor(nowUs / 1000) }
for i = 1, #KEYS / 2 do
  local lockKey, fenceKey, a = KEYS[2 * i - 1], KEYS[2 * i], 3 * i - 2
  local owner, ttl, fenceTtl = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  if redis.call('SET', lockKey, nowText .. ':' .. owner, 'NX', 'PX', ttl) then
    local token = nowUs
    local last = tonumber(redis.call('SET', fenceKey, nowText, 'PX', fenceTtl, 'GET'))
    if last and last >= token then
      token = last + 1
      local tokenText = string.format('%.0f', token)
      redis.call('SET', lockKey, tokenText .. ':' .. owner, 'PX', ttl)
      redis.call('SET', fenceKey, tokenText, 'PX', fenceTtl)
    end
    out[i + 1] = token
  else
    local value = redis.call('GET', lockKey)
    local sep = string.find(value, ':', 1, true)
    if sep and string.sub(value, sep + 1) == owner then
      redis.call('PEXPIRE', lockKey, ttl)
      out[i + 1] = tonumber(string.sub(value, 1, sep - 1))
    else
      out[i + 1] = tostring(redis.call('PTTL', lockKey))
    end
  end
end
if #out == 2 and (out[2] == nowUs or type(out[2]) == 'string') then
  return out[2]
end
return out
`;
