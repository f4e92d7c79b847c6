import type { AcquireResult } from '../../../contract/lease.js';
import { lockKeyOf } from '../redis-keys.js';
import { leaseReply } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { FAIR_FUNCTIONS_LUA, FAIR_PROLOGUE_LUA, fairKeys } from './fair.lua.js';
import { lockValueLua } from './lock-value.lua.js';

/**
 * One attempt at a fair lock.
 *
 * KEYS[1] = lock key, KEYS[2] = fence key, KEYS[3] = queue key, KEYS[4] = tickets key.
 * ARGV[1] = owner, ARGV[2] = ttl ms, ARGV[3] = ticket ttl ms, ARGV[4] = "1" to queue when busy,
 * ARGV[5] = how long the fence key outlives a lease, in ms, ARGV[6] = the channel to hand the
 * lease over on, this waiter's process's inbox ("" for the key's own channel).
 * Returns { nowMs, 1, "<fencing token>" } or { nowMs, 0, ms until the lease frees }.
 *
 * The owner already holding the key (also when a release handed it over) refreshes it and keeps its
 * token. A free key goes to the first live waiter; if that is someone else, it is handed to them
 * here and now, and this caller queues behind.
 */
export const FAIR_ACQUIRE_LUA = `${FAIR_PROLOGUE_LUA}
local grace = tonumber(ARGV[5])
${FAIR_FUNCTIONS_LUA}
local owner, ttl, ticketTtl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])

local function queue()
  if ARGV[4] ~= '1' then return end
  if not redis.call('ZSCORE', queueKey, owner) then
    redis.call('ZADD', queueKey, nowUs, owner)
  end
  redis.call('HSET', ticketsKey, owner,
    string.format('%.0f', nowMs + ticketTtl) .. ':' .. ttl .. ':' .. ARGV[6])
  for _, key in ipairs({ queueKey, ticketsKey }) do
    if redis.call('PTTL', key) < 2 * ticketTtl then redis.call('PEXPIRE', key, 2 * ticketTtl) end
  end
end

${lockValueLua('value', 'lockKey')}
if value then
  local holder, token = leaseOf(value)
  if holder == owner then
    redis.call('PEXPIRE', lockKey, ttl)
    leave(owner)
    return { nowMs, 1, token }
  end
  queue()
  return { nowMs, 0, redis.call('PTTL', lockKey) }
end
local first, firstTtl, firstInbox = head()
if not first or first == owner then
  return { nowMs, 1, grant(owner, ttl) }
end
handOff(first, firstTtl, firstInbox)
queue()
return { nowMs, 0, firstTtl }
`;

/** One fair acquire attempt. */
export interface FairAcquireInput {
  readonly key: string;
  readonly owner: string;
  readonly ttlMs: number;
  readonly ticketTtlMs: number;
  /** Queue when busy. */
  readonly join: boolean;
  readonly fenceRetentionMs: number;
  /** Where a hand-off to this waiter goes ('' for the key's own channel). */
  readonly inbox: string;
}

export const FAIR_ACQUIRE = new RedisScript<FairAcquireInput, AcquireResult>({
  name: 'fair-acquire',
  source: FAIR_ACQUIRE_LUA,
  call: (input) => ({
    keys: fairKeys(lockKeyOf(input.key)),
    args: [
      input.owner,
      input.ttlMs,
      input.ticketTtlMs,
      input.join ? 1 : 0,
      input.fenceRetentionMs,
      input.inbox,
    ],
  }),
  reply: (raw, { ttlMs }) => leaseReply(raw, ttlMs),
  returns: '{ nowMs, 1, "<token>" } or { nowMs, 0, pttl }',
});
