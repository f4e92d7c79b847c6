import { lockKeyOf, permitsKeyOf, readersKeyOf } from '../redis-keys.js';
import { integer, lease } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { READ_HOLDS_MARK } from './lock-value.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';

/**
 * Reads one lease: a mutex (a write hold included), the permits of a semaphore, or the read holds
 * of a read-write lock.
 *
 * KEYS[1] = the lock key, KEYS[2] = its permits hash (read only for a semaphore), KEYS[3] = its
 * read holds' tokens (read only for read holds).
 * Returns { nowMs, value "<fencing token>:<owner>" | false, PTTL } for a mutex, and for a
 * semaphore { nowMs, "<fencing token>:<owner>" of the permit granted last | false, its remaining
 * ms, the number of live permits }; for read holds the same as a semaphore's, then "read".
 */
export const INSPECT_LUA = `${SERVER_CLOCK_LUA}
if redis.call('TYPE', KEYS[1]).ok ~= 'zset' then
  return { nowMs, redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]) }
end
local reads = redis.call('ZSCORE', KEYS[1], '${READ_HOLDS_MARK}')
local tokens = reads and KEYS[3] or KEYS[2]
-- The mark of read holds scores 0: never in the live range.
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. nowMs, '+inf', 'WITHSCORES')
local best, bestToken, bestExpiry = nil, -1, 0
for i = 1, #live, 2 do
  local token = redis.call('HGET', tokens, live[i])
  if token and tonumber(token) > bestToken then
    best, bestToken, bestExpiry = token .. ':' .. live[i], tonumber(token), tonumber(live[i + 1])
  end
end
if not best then return { nowMs, false, -2 } end
return { nowMs, best, bestExpiry - nowMs, #live / 2, reads and 'read' or nil }
`;

/** A lease as the inspect script reports it. */
export interface InspectedLease {
  readonly owner: string;
  readonly fencingToken: bigint;
  /** Unix epoch ms of the server's clock. */
  readonly expiresAt: number;
  /** For a semaphore: the number of live permits; for read holds, their number. */
  readonly holders?: number;
  /** `'read'` for read holds. */
  readonly mode?: 'read';
}

/**
 * Reads a key's lease, `null` when it is free. Shared with the Redlock backend, which runs it on
 * each node.
 */
export const INSPECT = new RedisScript<{ readonly key: string }, InspectedLease | null>({
  name: 'inspect',
  source: INSPECT_LUA,
  call: ({ key }) => {
    const lockKey = lockKeyOf(key);
    return { keys: [lockKey, permitsKeyOf(lockKey), readersKeyOf(lockKey)], args: [] };
  },
  reply: (raw) => {
    // A Lua false (no value) is a nil reply, which ioredis reads as null.
    if (!Array.isArray(raw) || raw.length < 3 || raw.length > 5) return undefined;
    const nowMs = integer(raw[0]);
    const value: unknown = raw[1];
    const pttl = integer(raw[2]);
    if (nowMs === undefined || pttl === undefined) return undefined;
    if (value === null || pttl < 0) return null;
    if (typeof value !== 'string') return undefined;
    const held = lease(value);
    if (held === undefined) return undefined;
    const holders = raw.length >= 4 ? integer(raw[3]) : undefined;
    if (raw.length >= 4 && holders === undefined) return undefined;
    if (raw.length === 5 && raw[4] !== 'read') return undefined;
    return {
      ...held,
      expiresAt: nowMs + pttl,
      ...(holders === undefined ? {} : { holders }),
      ...(raw.length === 5 ? { mode: 'read' as const } : {}),
    };
  },
  returns: '{ nowMs, "<token>:<owner>" | nil, pttl[, holders[, "read"]] }',
});
