/**
 * Extends a batch of leases, each only if its owner still holds it. An expired lease is gone from
 * Redis, so it cannot be revived.
 *
 * KEYS[i] = lock key i.
 * ARGV[2i-1], ARGV[2i] = owner token and new ttl in ms of lease i.
 * Returns { nowMs, then per lease: 1 extended | 0 not held by that owner }.
 */
export const EXTEND_LUA = `
local t = redis.call('TIME')
local out = { tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) }
for i = 1, #KEYS do
  local owner = ARGV[2 * i - 1]
  local value = redis.call('GET', KEYS[i])
  local sep = value and string.find(value, ':', 1, true)
  if sep and string.sub(value, sep + 1) == owner then
    redis.call('PEXPIRE', KEYS[i], ARGV[2 * i])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;
