import type { LeaseToExtend } from '../../../contract/lease.js';
import { fenceKeyOf, lockKeyOf } from '../../redis/redis-keys.js';
import { expiries } from '../../redis/redis-replies.js';
import { RedisScript } from '../../redis/redis-script.js';
import { OWNER_CHECK_LUA } from '../../redis/scripts/owner-check.lua.js';
import { SERVER_CLOCK_LUA } from '../../redis/scripts/server-clock.lua.js';

/**
 * Extends a batch of leases on one Redlock node, each only if its owner still holds it. The
 * single-node `EXTEND_LUA` plus one thing: the fence key's expiry moves along with the lease, so a
 * node remembers the token for `fenceRetentionMs` after the lease ends however long it was renewed
 * (on one server the server's clock floors the token instead; on a quorum the floor is the
 * acquiring client's clock, which other clients need not share).
 *
 * KEYS: for each lease i, KEYS[2i-1] = the lock key, KEYS[2i] = its fence key.
 * ARGV[1] = how long a fence key outlives its lease, in ms.
 * ARGV[2i], ARGV[2i+1] = owner token and new ttl in ms of lease i.
 * Returns { nowMs, then per lease: 1 extended | 0 not held by that owner }.
 */
export const QUORUM_EXTEND_LUA = `${SERVER_CLOCK_LUA}${OWNER_CHECK_LUA}
local grace = tonumber(ARGV[1])
local out = { nowMs }
for i = 1, #KEYS / 2 do
  local lockKey, fenceKey = KEYS[2 * i - 1], KEYS[2 * i]
  local owner, ttl = ARGV[2 * i], tonumber(ARGV[2 * i + 1])
  if leaseOf(redis.call('GET', lockKey)) == owner then
    redis.call('PEXPIRE', lockKey, ttl)
    redis.call('PEXPIRE', fenceKey, ttl + grace, 'GT')
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;

/** One round of Redlock extends. */
export interface QuorumExtendInput {
  readonly leases: readonly LeaseToExtend[];
  readonly fenceRetentionMs: number;
}

/** Per lease, its new expiry on this node's clock, or `undefined` when the owner lost it here. */
export const QUORUM_EXTEND = new RedisScript<QuorumExtendInput, (number | undefined)[]>({
  name: 'quorum-extend',
  source: QUORUM_EXTEND_LUA,
  call: ({ leases, fenceRetentionMs }) => ({
    keys: leases.flatMap((lease) => {
      const lockKey = lockKeyOf(lease.key);
      return [lockKey, fenceKeyOf(lockKey)];
    }),
    args: [fenceRetentionMs, ...leases.flatMap((lease) => [lease.owner, lease.ttlMs])],
  }),
  reply: (raw, { leases }) => expiries(raw, leases),
  returns: '{ nowMs, 1 | 0 per lease }',
});
