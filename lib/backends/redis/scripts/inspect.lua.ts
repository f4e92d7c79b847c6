/**
 * Reads one lease.
 *
 * KEYS[1] = the lock key.
 * Returns { nowMs, value "<fencing token>:<owner>" | false, PTTL }.
 */
export const INSPECT_LUA = `
local t = redis.call('TIME')
return { tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000),
  redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]) }
`;
