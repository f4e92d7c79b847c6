/**
 * Releases a batch of locks, each only if its owner holds it, and publishes a wake-up on the
 * lock's channel ("<lock key>:released") for the waiters.
 *
 * KEYS[i] = lock key i.
 * ARGV[i] = owner token of lock i.
 * Returns per lock: 1 released | 0 not held by that owner; a lone lock's answer is the whole
 * reply (read it with `batchReply`).
 */
export const RELEASE_LUA = `
local out = {}
for i = 1, #KEYS do
  local value = redis.call('GET', KEYS[i])
  local sep = value and string.find(value, ':', 1, true)
  if sep and string.sub(value, sep + 1) == ARGV[i] then
    redis.call('DEL', KEYS[i])
    redis.call('PUBLISH', KEYS[i] .. ':released', '')
    out[i] = 1
  else
    out[i] = 0
  end
end
if #out == 1 then
  return out[1]
end
return out
`;
