import type { ListedLease } from '../../../contract/lock-directory.js';
import { permitsKeyOf, readersKeyOf, storeKeyOfLockKey } from '../redis-keys.js';
import { integer, integerText, lease, token } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { READ_HOLDS_MARK } from './lock-value.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';

/**
 * Reads the leases of a batch of lock keys a listing found, judged by the server's clock, writing
 * nothing (expired holds are left for the lock scripts to drop, as they do).
 *
 * KEYS: for each lock key i, KEYS[3i-2] = the lock key, KEYS[3i-1] = its permits hash, KEYS[3i] =
 * its read holds' tokens (same hash tag).
 * Returns { nowMs, then per lock key one list }: { "mutex", "<fencing token>:<owner>", PTTL } for a
 * string (a mutex, a fair, write or multi-key hold), { "permit" | "read", then per live hold its
 * owner, expiry ms and fencing token } for a semaphore or read holds, { } for a key gone since
 * the scan or of another type (nothing of ours).
 */
export const DIRECTORY_LIST_LUA = `${SERVER_CLOCK_LUA}
local out = { nowMs }
for i = 1, #KEYS / 3 do
  local lockKey = KEYS[3 * i - 2]
  local kind = redis.call('TYPE', lockKey).ok
  local entry = {}
  if kind == 'string' then
    entry = { 'mutex', redis.call('GET', lockKey), redis.call('PTTL', lockKey) }
  elseif kind == 'zset' then
    local reads = redis.call('ZSCORE', lockKey, '${READ_HOLDS_MARK}')
    local tokens = reads and KEYS[3 * i] or KEYS[3 * i - 1]
    entry = { reads and 'read' or 'permit' }
    -- The mark of read holds scores 0: never in the live range.
    local live = redis.call('ZRANGEBYSCORE', lockKey, '(' .. nowMs, '+inf', 'WITHSCORES')
    for j = 1, #live, 2 do
      local token = redis.call('HGET', tokens, live[j])
      if token then
        entry[#entry + 1] = live[j]
        entry[#entry + 1] = live[j + 1]
        entry[#entry + 1] = token
      end
    end
  end
  out[i + 1] = entry
end
return out
`;

/** What a listing read of some lock keys found, with the server's clock when it read them. */
export interface ListedBatch {
  readonly nowMs: number;
  /** The live leases of the keys read (a key may have none, or many permits or read holds). */
  readonly leases: ListedLease[];
}

/** Reads the leases of a batch of lock keys (`lockKeyOf` names), in one script run. */
export const DIRECTORY_LIST = new RedisScript<readonly string[], ListedBatch>({
  name: 'directory-list',
  source: DIRECTORY_LIST_LUA,
  call: (lockKeys) => ({
    keys: lockKeys.flatMap((lockKey) => [lockKey, permitsKeyOf(lockKey), readersKeyOf(lockKey)]),
    args: [],
  }),
  reply: (raw, lockKeys) => {
    if (!Array.isArray(raw) || raw.length !== lockKeys.length + 1) return undefined;
    const nowMs = integer(raw[0]);
    if (nowMs === undefined) return undefined;
    const leases: ListedLease[] = [];
    for (const [i, lockKey] of lockKeys.entries()) {
      const key = storeKeyOfLockKey(lockKey);
      const entry: unknown = raw[i + 1];
      if (key === undefined || !Array.isArray(entry)) return undefined;
      if (!readEntry(key, entry, nowMs, leases)) return undefined;
    }
    return { nowMs, leases };
  },
  returns:
    '{ nowMs, per key: { "mutex", value, pttl } | { "permit" | "read", (owner, expiry, token)… } | {} }',
});

/**
 * Adds the live leases of one key's entry to `leases`; `false` when the entry is not of the
 * script's shape. A string that is not "<token>:<owner>" is no lock of ours and adds nothing.
 */
function readEntry(key: string, entry: unknown[], nowMs: number, leases: ListedLease[]): boolean {
  if (entry.length === 0) return true;
  const kind = entry[0];
  if (kind === 'mutex') {
    const [, value, pttlValue] = entry;
    const pttl = integer(pttlValue);
    if (entry.length !== 3 || typeof value !== 'string' || pttl === undefined) return false;
    const held = lease(value);
    if (held !== undefined && pttl > 0) {
      leases.push({ key, ...held, expiresAt: nowMs + pttl, kind: 'mutex' });
    }
    return true;
  }
  if ((kind !== 'permit' && kind !== 'read') || entry.length % 3 !== 1) return false;
  for (let j = 1; j < entry.length; j += 3) {
    const owner = entry[j];
    const expiresAt = integerText(entry[j + 1]);
    const fencingToken = token(entry[j + 2]);
    if (typeof owner !== 'string' || expiresAt === undefined || fencingToken === undefined) {
      return false;
    }
    leases.push({ key, owner, fencingToken, expiresAt, kind });
  }
  return true;
}
