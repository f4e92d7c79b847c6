/**
 * Makes the nodes of a Redlock majority agree on a lease's fencing token: where the owner holds
 * the key under a lower token, the lease takes the majority's token (keeping its expiry) and the
 * fence key rises to it, so that any later majority, which shares a node with this one, issues a
 * higher token. Where the owner holds it under a higher token (a node that answered too late to
 * count), the key is dropped instead, so that every node holding the lease agrees.
 *
 * KEYS: for each lease i, KEYS[2i-1] = the lock key, KEYS[2i] = its fence key.
 * ARGV[1] = how long a fence key outlives its lease, in ms.
 * ARGV[2i], ARGV[2i+1] = owner token and the majority's fencing token of lease i.
 * Returns per lease: 1 the lease here carries the token | 0 the owner does not hold it here (any more).
 */
export const ADOPT_TOKEN_LUA = `
local grace = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS / 2 do
  local lockKey, fenceKey = KEYS[2 * i - 1], KEYS[2 * i]
  local owner, token = ARGV[2 * i], tonumber(ARGV[2 * i + 1])
  local value = redis.call('GET', lockKey)
  local sep = value and string.find(value, ':', 1, true)
  local pttl = redis.call('PTTL', lockKey)
  out[i] = 0
  if sep and pttl > 0 and string.sub(value, sep + 1) == owner then
    if tonumber(string.sub(value, 1, sep - 1)) > token then
      redis.call('DEL', lockKey)
    else
      local tokenText = string.format('%.0f', token)
      redis.call('SET', lockKey, tokenText .. ':' .. owner, 'PX', pttl)
      if (tonumber(redis.call('GET', fenceKey)) or 0) < token then
        redis.call('SET', fenceKey, tokenText, 'PX', pttl + grace)
      end
      out[i] = 1
    end
  end
end
return out
`;
