/**
 * Acquires a batch of locks on one Redlock node, in one atomic script run. The single-node
 * `ACQUIRE_LUA` with two changes for the quorum: the fencing token floor is proposed by the client
 * (one value for every node, so that the nodes of a majority normally agree on the token), and a
 * refusal names the holder (so that the client can tell a lock held by a majority from a split).
 *
 * KEYS: for each lock i, KEYS[2i-1] = the lock key, KEYS[2i] = its fence key (same hash tag).
 * ARGV[1] = how long a fence key outlives its lease, in ms.
 * ARGV[2] = the proposed fencing token (the client's clock in µs).
 * ARGV[2i+1], ARGV[2i+2] = owner token and ttl in ms of lock i.
 * Returns { nowMs, then per lock: 1, fencingToken, '' | 0, holder's PTTL, holder's owner }.
 *
 * The token is the larger of the key's last token here + 1 and the proposal. The same owner asking
 * again while it holds the key gets its lease refreshed and its token back.
 */
export const QUORUM_ACQUIRE_LUA = `
local t = redis.call('TIME')
local grace = tonumber(ARGV[1])
local proposed = tonumber(ARGV[2])
local out = { tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) }
for i = 1, #KEYS / 2 do
  local lockKey, fenceKey = KEYS[2 * i - 1], KEYS[2 * i]
  local owner, ttl = ARGV[2 * i + 1], ARGV[2 * i + 2]
  local token = math.max((tonumber(redis.call('GET', fenceKey)) or 0) + 1, proposed)
  local tokenText = string.format('%.0f', token)
  if redis.call('SET', lockKey, tokenText .. ':' .. owner, 'NX', 'PX', ttl) then
    redis.call('SET', fenceKey, tokenText, 'PX', tonumber(ttl) + grace)
    out[#out + 1] = 1
    out[#out + 1] = token
    out[#out + 1] = ''
  else
    local value = redis.call('GET', lockKey)
    local sep = string.find(value, ':', 1, true)
    local holder = sep and string.sub(value, sep + 1) or ''
    if holder == owner then
      redis.call('PEXPIRE', lockKey, ttl)
      out[#out + 1] = 1
      out[#out + 1] = tonumber(string.sub(value, 1, sep - 1))
      out[#out + 1] = ''
    else
      out[#out + 1] = 0
      out[#out + 1] = redis.call('PTTL', lockKey)
      out[#out + 1] = holder
    end
  end
end
return out
`;
