import type { AcquireResult } from '../../../contract/lease.js';
import { fenceKeyOf, lockKeyOf } from '../redis-keys.js';
import { leaseReply } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { lockValueLua } from './lock-value.lua.js';
import { OWNER_CHECK_LUA } from './owner-check.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';

/**
 * Takes several locks at once, all or none, for one owner with one fencing token.
 *
 * KEYS[2i-1] = lock key i, KEYS[2i] = its fence key.
 * ARGV[1] = owner, ARGV[2] = ttl ms, ARGV[3] = how long a fence key outlives its lease, in ms.
 * Returns { nowMs, 1, "<fencing token>" } or { nowMs, 0, ms until the last busy key frees }.
 *
 * The token is larger than every earlier token of each key (and at least the server clock in µs),
 * and is stored on each key as a plain lock's would be, so plain locks on any of the keys and
 * multi-key locks exclude each other. The owner already holding every key refreshes them all.
 */
export const MULTI_ACQUIRE_LUA = `${SERVER_CLOCK_LUA}${OWNER_CHECK_LUA}
local owner, ttl, grace = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local n = #KEYS / 2
local busyFor, mine, mineToken, last = nil, 0, nil, 0
for i = 1, n do
  ${lockValueLua('value', 'KEYS[2 * i - 1]')}
  if value then
    local holder, token = leaseOf(value)
    if holder == owner then
      mine = mine + 1
      mineToken = token
    else
      busyFor = math.max(busyFor or 0, redis.call('PTTL', KEYS[2 * i - 1]))
    end
  end
  last = math.max(last, tonumber(redis.call('GET', KEYS[2 * i])) or 0)
end
if busyFor then return { nowMs, 0, busyFor } end
if mine == n then
  for i = 1, n do redis.call('PEXPIRE', KEYS[2 * i - 1], ttl) end
  return { nowMs, 1, mineToken }
end
local tokenText = string.format('%.0f', math.max(last + 1, nowUs))
for i = 1, n do
  redis.call('SET', KEYS[2 * i - 1], tokenText .. ':' .. owner, 'PX', ttl)
  redis.call('SET', KEYS[2 * i], tokenText, 'PX', ttl + grace)
end
return { nowMs, 1, tokenText }
`;

/** One attempt at several keys, sorted and distinct. */
export interface MultiAcquireInput {
  readonly keys: readonly string[];
  readonly owner: string;
  readonly ttlMs: number;
  readonly fenceRetentionMs: number;
}

export const MULTI_ACQUIRE = new RedisScript<MultiAcquireInput, AcquireResult>({
  name: 'multi-acquire',
  source: MULTI_ACQUIRE_LUA,
  call: ({ keys, owner, ttlMs, fenceRetentionMs }) => ({
    keys: keys.flatMap((key) => {
      const lockKey = lockKeyOf(key);
      return [lockKey, fenceKeyOf(lockKey)];
    }),
    args: [owner, ttlMs, fenceRetentionMs],
  }),
  reply: (raw, { ttlMs }) => leaseReply(raw, ttlMs),
  returns: '{ nowMs, 1, "<token>" } or { nowMs, 0, ms until the last busy key frees }',
});
