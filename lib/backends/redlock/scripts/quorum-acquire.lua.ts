import { fenceKeyOf, lockKeyOf } from '../../redis/redis-keys.js';
import { integer } from '../../redis/redis-replies.js';
import { RedisScript } from '../../redis/redis-script.js';
import { lockGrantLua } from '../../redis/scripts/lock-grant.lua.js';
import { OWNER_CHECK_LUA } from '../../redis/scripts/owner-check.lua.js';
import type { AcquireRequest } from '../../shared/lease-requests.js';
import type { AcquireVote } from '../quorum-outcome.js';

/**
 * Acquires a batch of locks on one Redlock node, in one atomic script run. The single-node
 * `ACQUIRE_LUA` with three changes for the quorum: the fencing token floor is proposed by the
 * client (one value for every node, so that the nodes of a majority normally agree on the token);
 * a refusal names the holder (so that the client can tell a lock held by a majority from a split);
 * and no server time is read (a quorum's validity is measured on the client).
 *
 * KEYS: for each lock i, KEYS[2i-1] = the lock key, KEYS[2i] = its fence key (same hash tag).
 * ARGV[1] = the proposed fencing token (the client's clock in µs), as text.
 * ARGV[3i-1] = lock i's value under the proposal, "<proposed token>:<owner token>".
 * ARGV[3i] = lock i's ttl in ms; ARGV[3i+1] = how long its fence key lives, in ms (the ttl plus
 * the fence retention).
 * Returns one value per lock: the fencing token (an integer) when granted, or the holder as
 * "<its PTTL>:<its owner token>" (a string) when refused; a lone lock's value is the whole reply.
 *
 * The token is the larger of the key's last token here + 1 and the proposal (`lockGrantLua`).
 * The same owner asking again while it holds the key gets its lease refreshed and its token back.
 *
 * Cost matters here: this runs on every node for every acquire. The client sends the value, the
 * ttl and the fence's lifetime ready-made as text, so that the usual grant concatenates nothing
 * and converts no Lua number back to text (which Redis does with a slow `%.17g`).
 */
export const QUORUM_ACQUIRE_LUA = `${OWNER_CHECK_LUA}
local proposed = ARGV[1]
local out = {}
for i = 1, #KEYS / 2 do
  local lockKey, fenceKey, a = KEYS[2 * i - 1], KEYS[2 * i], 3 * i - 1
  local value, ttl, fenceTtl = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  ${lockGrantLua('proposed')}
  out[i] = token or redis.call('PTTL', lockKey) .. ':' .. holder
end
if #out == 1 then
  return out[1]
end
return out
`;

/** One round of Redlock acquires: the locks, and the fencing token proposed for all of them. */
export interface QuorumAcquireInput {
  readonly locks: readonly AcquireRequest[];
  /** The client's clock in µs, as text. */
  readonly proposed: string;
  readonly fenceRetentionMs: number;
}

/** What one node says of each lock: granted with its token, or held by someone (and how long). */
export type NodeAcquireVote = Exclude<AcquireVote, { readonly kind: 'failed' }>;

export const QUORUM_ACQUIRE = new RedisScript<QuorumAcquireInput, NodeAcquireVote[]>({
  name: 'quorum-acquire',
  source: QUORUM_ACQUIRE_LUA,
  call: ({ locks, proposed, fenceRetentionMs }) => {
    const keys: string[] = [];
    const args: string[] = [proposed];
    for (const lock of locks) {
      const lockKey = lockKeyOf(lock.key);
      keys.push(lockKey, fenceKeyOf(lockKey));
      args.push(
        `${proposed}:${lock.owner}`,
        String(lock.ttlMs),
        String(lock.ttlMs + fenceRetentionMs),
      );
    }
    return { keys, args };
  },
  reply: (raw, { locks }) => {
    const values = Array.isArray(raw) ? raw : [raw];
    if (values.length !== locks.length) return undefined;
    const votes: NodeAcquireVote[] = [];
    for (const value of values) {
      const vote = voteOf(value);
      if (!vote) return undefined;
      votes.push(vote);
    }
    return votes;
  },
  returns: 'per lock: token | "<pttl>:<holder>" (a lone lock: that value)',
});

function voteOf(value: unknown): NodeAcquireVote | undefined {
  const token = integer(value);
  if (token !== undefined) return { kind: 'granted', token };
  if (typeof value !== 'string') return undefined;
  const sep = value.indexOf(':');
  const pttlMs = sep > 0 ? Number(value.slice(0, sep)) : Number.NaN;
  if (!Number.isInteger(pttlMs)) return undefined;
  return { kind: 'contended', holder: value.slice(sep + 1), pttlMs };
}
