/**
 * The prologue of every script that checks who holds a lock: the one owner check. A lock key holds
 * `"<fencing token>:<owner>"`, and its owner is exactly the part after the first `:` (owners may
 * contain colons, tokens never do), so an owner that merely ends another one (holder `ab:cd`,
 * caller `cd`) never matches.
 *
 * `leaseOf(value)` returns the owner and the fencing token (as text) of a lock key's value, or
 * `nil` for a missing value or one without a separator: compare `leaseOf(value) == owner`.
 */
export const OWNER_CHECK_LUA = `
local function leaseOf(value)
  local sep = value and string.find(value, ':', 1, true)
  if not sep then return nil, nil end
  return string.sub(value, sep + 1), string.sub(value, 1, sep - 1)
end
`;
