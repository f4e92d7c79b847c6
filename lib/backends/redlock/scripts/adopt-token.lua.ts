import { fenceKeyOf, lockKeyOf } from '../../redis/redis-keys.js';
import { each, flag } from '../../redis/redis-replies.js';
import { RedisScript } from '../../redis/redis-script.js';
import { OWNER_CHECK_LUA } from '../../redis/scripts/owner-check.lua.js';

/**
 * Makes the nodes of a Redlock majority agree on a lease's fencing token: where the owner holds
 * the key under a lower token, the lease takes the majority's token (keeping its expiry) and the
 * fence key rises to it, so that any later majority, which shares a node with this one, issues a
 * higher token. Where the owner holds it under a higher token (a node that answered too late to
 * count), the key is dropped instead, so that every node holding the lease agrees.
 *
 * KEYS: for each lease i, KEYS[2i-1] = the lock key, KEYS[2i] = its fence key.
 * ARGV[1] = how long a fence key outlives its lease, in ms.
 * ARGV[2i], ARGV[2i+1] = owner token and the majority's fencing token of lease i.
 * Returns per lease: 1 the lease here carries the token | 0 the owner does not hold it here (any more).
 */
export const ADOPT_TOKEN_LUA = `${OWNER_CHECK_LUA}
local grace = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS / 2 do
  local lockKey, fenceKey = KEYS[2 * i - 1], KEYS[2 * i]
  local owner, token = ARGV[2 * i], tonumber(ARGV[2 * i + 1])
  local holder, heldToken = leaseOf(redis.call('GET', lockKey))
  local pttl = redis.call('PTTL', lockKey)
  out[i] = 0
  if pttl > 0 and holder == owner then
    if tonumber(heldToken) > token then
      redis.call('DEL', lockKey)
    else
      local tokenText = string.format('%.0f', token)
      redis.call('SET', lockKey, tokenText .. ':' .. owner, 'PX', pttl)
      if (tonumber(redis.call('GET', fenceKey)) or 0) < token then
        redis.call('SET', fenceKey, tokenText, 'PX', pttl + grace)
      end
      out[i] = 1
    end
  end
end
return out
`;

/** A lease whose node must carry its majority's fencing token. */
export interface Adoption {
  readonly key: string;
  readonly owner: string;
  readonly token: number;
}

/** One node's adoptions. */
export interface AdoptInput {
  readonly adoptions: readonly Adoption[];
  readonly fenceRetentionMs: number;
}

/** Per lease, whether the node now carries it under the majority's token. */
export const ADOPT_TOKEN = new RedisScript<AdoptInput, boolean[]>({
  name: 'adopt-token',
  source: ADOPT_TOKEN_LUA,
  call: ({ adoptions, fenceRetentionMs }) => ({
    keys: adoptions.flatMap(({ key }) => {
      const lockKey = lockKeyOf(key);
      return [lockKey, fenceKeyOf(lockKey)];
    }),
    args: [fenceRetentionMs, ...adoptions.flatMap(({ owner, token }) => [owner, token])],
  }),
  reply: (raw, { adoptions }) =>
    Array.isArray(raw) && raw.length === adoptions.length ? each(raw, flag) : undefined,
  returns: '1 | 0 per lease',
});
