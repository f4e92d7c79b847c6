/**
 * Acquires a batch of locks on one Redlock node, in one atomic script run. The single-node
 * `ACQUIRE_LUA` with three changes for the quorum: the fencing token floor is proposed by the
 * client (one value for every node, so that the nodes of a majority normally agree on the token);
 * a refusal names the holder (so that the client can tell a lock held by a majority from a split);
 * and no server time is read (a quorum's validity is measured on the client).
 *
 * KEYS: for each lock i, KEYS[2i-1] = the lock key, KEYS[2i] = its fence key (same hash tag).
 * ARGV[1] = how long a fence key outlives its lease, in ms.
 * ARGV[2] = the proposed fencing token (the client's clock in µs).
 * ARGV[2i+1], ARGV[2i+2] = owner token and ttl in ms of lock i.
 * Returns one value per lock: the fencing token (an integer) when granted, or the holder as
 * "<its PTTL>:<its owner token>" (a string) when refused. One value, not a triple: a script's
 * reply is a good part of its cost, on the node and in the client.
 *
 * The token is the larger of the key's last token here + 1 and the proposal. The lock is set
 * under the proposal first and corrected in the rare case that the fence was ahead of it, so that
 * the usual grant costs two commands (SET NX, SET GET). The same owner asking again while it holds
 * the key gets its lease refreshed and its token back.
 */
export const QUORUM_ACQUIRE_LUA = `
local grace = tonumber(ARGV[1])
local proposed = ARGV[2]
local out = {}
for i = 1, #KEYS / 2 do
  local lockKey, fenceKey = KEYS[2 * i - 1], KEYS[2 * i]
  local owner, ttl = ARGV[2 * i + 1], tonumber(ARGV[2 * i + 2])
  if redis.call('SET', lockKey, proposed .. ':' .. owner, 'NX', 'PX', ttl) then
    local token = tonumber(proposed)
    local last = tonumber(redis.call('SET', fenceKey, proposed, 'PX', ttl + grace, 'GET'))
    if last and last >= token then
      token = last + 1
      local tokenText = string.format('%.0f', token)
      redis.call('SET', lockKey, tokenText .. ':' .. owner, 'PX', ttl)
      redis.call('SET', fenceKey, tokenText, 'PX', ttl + grace)
    end
    out[i] = token
  else
    local value = redis.call('GET', lockKey)
    local sep = string.find(value, ':', 1, true)
    local holder = sep and string.sub(value, sep + 1) or ''
    if holder == owner then
      redis.call('PEXPIRE', lockKey, ttl)
      out[i] = tonumber(string.sub(value, 1, sep - 1))
    else
      out[i] = redis.call('PTTL', lockKey) .. ':' .. holder
    end
  end
end
return out
`;
