/**
 * Acquires a batch of locks on one Redlock node, in one atomic script run. The single-node
 * `ACQUIRE_LUA` with three changes for the quorum: the fencing token floor is proposed by the
 * client (one value for every node, so that the nodes of a majority normally agree on the token);
 * a refusal names the holder (so that the client can tell a lock held by a majority from a split);
 * and no server time is read (a quorum's validity is measured on the client).
 *
 * KEYS: for each lock i, KEYS[2i-1] = the lock key, KEYS[2i] = its fence key (same hash tag).
 * ARGV[1] = the proposed fencing token (the client's clock in µs), as text.
 * ARGV[3i-1] = lock i's value under the proposal, "<proposed token>:<owner token>".
 * ARGV[3i] = lock i's ttl in ms; ARGV[3i+1] = how long its fence key lives, in ms (the ttl plus
 * the fence retention).
 * Returns one value per lock: the fencing token (an integer) when granted, or the holder as
 * "<its PTTL>:<its owner token>" (a string) when refused; a lone lock's value is the whole reply.
 *
 * The token is the larger of the key's last token here + 1 and the proposal. The lock is set
 * under the proposal first and corrected in the rare case that the fence was ahead of it, so that
 * the usual grant costs two commands (SET NX, SET GET). The same owner asking again while it holds
 * the key gets its lease refreshed and its token back.
 *
 * Cost matters here: this runs on every node for every acquire. The client sends the value, the
 * ttl and the fence's lifetime ready-made as text, so that the usual grant concatenates nothing
 * and converts no Lua number back to text (which Redis does with a slow `%.17g`).
 */
export const QUORUM_ACQUIRE_LUA = `
local proposed = ARGV[1]
local out = {}
for i = 1, #KEYS / 2 do
  local lockKey, fenceKey, a = KEYS[2 * i - 1], KEYS[2 * i], 3 * i - 1
  local value, ttl, fenceTtl = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  if redis.call('SET', lockKey, value, 'NX', 'PX', ttl) then
    local token = tonumber(proposed)
    local last = tonumber(redis.call('SET', fenceKey, proposed, 'PX', fenceTtl, 'GET'))
    if last and last >= token then
      token = last + 1
      local tokenText = string.format('%.0f', token)
      redis.call('SET', lockKey, tokenText .. string.sub(value, #proposed + 1), 'PX', ttl)
      redis.call('SET', fenceKey, tokenText, 'PX', fenceTtl)
    end
    out[i] = token
  else
    local current = redis.call('GET', lockKey)
    local sep = string.find(current, ':', 1, true)
    local holder = sep and string.sub(current, sep + 1) or ''
    if holder == string.sub(value, #proposed + 2) then
      redis.call('PEXPIRE', lockKey, ttl)
      out[i] = tonumber(string.sub(current, 1, sep - 1))
    else
      out[i] = redis.call('PTTL', lockKey) .. ':' .. holder
    end
  end
end
if #out == 1 then
  return out[1]
end
return out
`;
