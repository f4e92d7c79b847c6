/**
 * Takes back the partial grants of an acquire that did not reach a majority: deletes each key
 * where the owner holds it. Unlike the release script it publishes nothing: a tentative grant was
 * never a lock, and a wake-up would send every waiter, this one's own included, straight into
 * another attempt.
 *
 * KEYS[i] = lock key i.
 * ARGV[i] = owner token of lock i.
 * Returns the number of keys deleted.
 */
export const UNDO_ACQUIRE_LUA = `
local deleted = 0
for i = 1, #KEYS do
  local value = redis.call('GET', KEYS[i])
  local sep = value and string.find(value, ':', 1, true)
  if sep and string.sub(value, sep + 1) == ARGV[i] then
    redis.call('DEL', KEYS[i])
    deleted = deleted + 1
  end
end
return deleted
`;
