import { LEASE_WAKE_MARK_BYTE } from './wake-one.lua.js';

/**
 * The prologue of every script that checks who holds a lock: the one owner check. A lock key holds
 * `"<fencing token>:<owner>"`, and its owner is exactly the part after the first `:` (owners may
 * contain colons, tokens never do), so an owner that merely ends another one (holder `ab:cd`,
 * caller `cd`) never matches. A token followed by `!` (`"<token>!:<owner>"`) marks a lease that
 * processes wait on (see `LEASE_WAKE_MARK_BYTE`).
 *
 * `leaseOf(value)` returns the owner, the fencing token (as text, without the mark) and whether
 * the lease is marked, or `nil` for a missing value or one without a separator: compare
 * `leaseOf(value) == owner`.
 */
export const OWNER_CHECK_LUA = `
local function leaseOf(value)
  local sep = value and string.find(value, ':', 1, true)
  if not sep then return nil, nil, false end
  if string.byte(value, sep - 1) == ${LEASE_WAKE_MARK_BYTE} then
    return string.sub(value, sep + 1), string.sub(value, 1, sep - 2), true
  end
  return string.sub(value, sep + 1), string.sub(value, 1, sep - 1), false
end
`;
