import { lockGrantLua } from './lock-grant.lua.js';

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
 * keeps increasing even if the fence key expired or the server lost its data in a restart (see
 * `lockGrantLua`, given the clock as the proposal). The same owner asking again while it holds the
 * key gets its lease refreshed and the same token: a retried acquire whose first answer was lost
 * is harmless.
 */
export const ACQUIRE_LUA = `
local t = redis.call('TIME')
local nowText = t[1] .. string.rep('0', 6 - #t[2]) .. t[2]
local nowUs = tonumber(nowText)
local out = { math.floor(nowUs / 1000) }
for i = 1, #KEYS / 2 do
  local lockKey, fenceKey, a = KEYS[2 * i - 1], KEYS[2 * i], 3 * i - 2
  local owner, ttl, fenceTtl = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local value = nowText .. ':' .. owner
  ${lockGrantLua('nowText')}
  out[i + 1] = token or tostring(redis.call('PTTL', lockKey))
end
if #out == 2 and (out[2] == nowUs or type(out[2]) == 'string') then
  return out[2]
end
return out
`;
