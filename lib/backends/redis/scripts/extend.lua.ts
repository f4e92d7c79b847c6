import type { LeaseToExtend } from '../../../contract/lease.js';
import { lockKeyOf } from '../redis-keys.js';
import { expiries } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { lockValueLua } from './lock-value.lua.js';
import { OWNER_CHECK_LUA } from './owner-check.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';

/**
 * Extends a batch of leases, each only if its owner still holds it. An expired lease is gone from
 * Redis, so it cannot be revived.
 *
 * KEYS[i] = lock key i.
 * ARGV[2i-1], ARGV[2i] = owner token and new ttl in ms of lease i.
 * Returns { nowMs, then per lease: 1 extended | 0 not held by that owner }.
 */
export const EXTEND_LUA = `${SERVER_CLOCK_LUA}${OWNER_CHECK_LUA}
local out = { nowMs }
for i = 1, #KEYS do
  ${lockValueLua('value', 'KEYS[i]')}
  if leaseOf(value) == ARGV[2 * i - 1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[2 * i])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;

/** Extends plain (and fair) leases, and the keys of multi-key leases: each lease's new expiry. */
export const EXTEND = new RedisScript<readonly LeaseToExtend[], (number | undefined)[]>({
  name: 'extend',
  source: EXTEND_LUA,
  call: (leases) => ({
    keys: leases.map((lease) => lockKeyOf(lease.key)),
    args: leases.flatMap((lease) => [lease.owner, lease.ttlMs]),
  }),
  reply: expiries,
  returns: '{ nowMs, 1 | 0 per lease }',
});
