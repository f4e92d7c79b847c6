/**
 * Extends a batch of leases on one Redlock node, each only if its owner still holds it. The
 * single-node `EXTEND_LUA` plus one thing: the fence key's expiry moves along with the lease, so a
 * node remembers the token for `fenceRetentionMs` after the lease ends however long it was renewed
 * (on one server the server's clock floors the token instead; on a quorum the floor is the
 * acquiring client's clock, which other clients need not share).
 *
 * KEYS: for each lease i, KEYS[2i-1] = the lock key, KEYS[2i] = its fence key.
 * ARGV[1] = how long a fence key outlives its lease, in ms.
 * ARGV[2i], ARGV[2i+1] = owner token and new ttl in ms of lease i.
 * Returns { nowMs, then per lease: 1 extended | 0 not held by that owner }.
 */
export const QUORUM_EXTEND_LUA = `
local t = redis.call('TIME')
local grace = tonumber(ARGV[1])
local out = { tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) }
for i = 1, #KEYS / 2 do
  local lockKey, fenceKey = KEYS[2 * i - 1], KEYS[2 * i]
  local owner, ttl = ARGV[2 * i], tonumber(ARGV[2 * i + 1])
  local value = redis.call('GET', lockKey)
  local sep = value and string.find(value, ':', 1, true)
  if sep and string.sub(value, sep + 1) == owner then
    redis.call('PEXPIRE', lockKey, ttl)
    redis.call('PEXPIRE', fenceKey, ttl + grace, 'GT')
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;
