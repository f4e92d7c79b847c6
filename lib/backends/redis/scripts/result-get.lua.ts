import type { SharedOutcome } from '../../../contract/shared-results.js';
import { lockKeyOf, resultKeyOf } from '../redis-keys.js';
import { integer } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';

/**
 * Reads the outcome stored by `RESULT_PUT_LUA` with its age by the server's clock (a script, so
 * the clock and the value are read at one instant, on the server that keeps the outcome).
 *
 * KEYS[1] = the key's result key.
 * Returns { age in ms, outcome }, or nil when no outcome lives.
 */
export const RESULT_GET_LUA = `
local stored = redis.call('GET', KEYS[1])
if not stored then return false end
${SERVER_CLOCK_LUA}
local sep = string.find(stored, ':', 1, true)
local ageMs = math.floor((nowUs - tonumber(string.sub(stored, 1, sep - 1))) / 1000)
return { math.max(0, ageMs), string.sub(stored, sep + 1) }
`;

/** The read half of `RedisResults`: the key's outcome, `null` when none lives. */
export const RESULT_GET = new RedisScript<{ readonly key: string }, SharedOutcome | null>({
  name: 'result-get',
  source: RESULT_GET_LUA,
  call: ({ key }) => ({ keys: [resultKeyOf(lockKeyOf(key))], args: [] }),
  reply: (raw) => {
    // A Lua false (no outcome) is a nil reply, which ioredis reads as null.
    if (raw === null) return null;
    if (!Array.isArray(raw) || raw.length !== 2) return undefined;
    const ageMs = integer(raw[0]);
    const value: unknown = raw[1];
    return ageMs === undefined || typeof value !== 'string' ? undefined : { value, ageMs };
  },
  returns: '{ ageMs, outcome } | nil',
});
