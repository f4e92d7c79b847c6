import type { ReleaseRequest } from '../../shared/lease-requests.js';
import { lockKeyOf, sleepersKeyOf, turnKeyOf } from '../redis-keys.js';
import { RedisScript } from '../redis-script.js';
import { lockValueLua } from './lock-value.lua.js';
import { OWNER_CHECK_LUA } from './owner-check.lua.js';
import { ALONE_LAYOUT, WAITING_LAYOUT, wakeOneLua } from './wake-one.lua.js';

/**
 * The answer for a lock passed without the keys of its waiters whose lease is marked as waited on
 * (see `LEASE_WAKE_MARK_BYTE`): it is not released; release it again with them.
 */
export const WAITED_ON = 'waited-on';

/**
 * Releases a batch of locks, each only if its owner holds it, and wakes the lock's waiters: for a
 * lease marked as waited on, the process whose turn it is or the one registered longest as a
 * sleeper (see `wakeOneLua`); else everyone on the lock's channel ("<lock key>:released"), which
 * is all a lock nobody waits on costs.
 *
 * ARGV[1] = the layout: one character per lock, `w` for a lock passed with the keys of its
 * waiters, `-` for one passed alone. Then per lock, in order, its KEYS: the lock key, then (`w`)
 * its sleepers key and its turn key. ARGV[i + 1] = owner token of lock i.
 * Returns per lock: 1 released | 0 not held by that owner | 2 a lock passed alone whose lease is
 * marked, left held; a lone lock's answer is the whole reply.
 */
export const RELEASE_LUA = `${OWNER_CHECK_LUA}
local layout = ARGV[1]
local out = {}
local k = 1
for i = 1, #layout do
  local lockKey, sleepersKey, turnKey = KEYS[k], false, false
  if string.byte(layout, i) == ${WAITING_LAYOUT.charCodeAt(0)} then
    sleepersKey, turnKey = KEYS[k + 1], KEYS[k + 2]
    k = k + 3
  else
    k = k + 1
  end
  ${lockValueLua('value', 'lockKey')}
  local holder, _, marked = leaseOf(value)
  if holder ~= ARGV[i + 1] then
    out[i] = 0
  elseif marked and not sleepersKey then
    out[i] = 2
  else
    redis.call('DEL', lockKey)
    local channel = lockKey .. ':released'
    if marked then
      ${wakeOneLua()}
    else
      redis.call('PUBLISH', channel, '')
    end
    out[i] = 1
  end
end
if #out == 1 then
  return out[1]
end
return out
`;

/**
 * A lock to release. `unwatched`: this process saw nobody wait on it, so it is passed without the
 * keys of its waiters, and answered {@link WAITED_ON} (left held) if others do wait on it.
 */
export interface ReleaseItem extends ReleaseRequest {
  readonly unwatched?: boolean;
}

/** Per lock: whether this call released it, or {@link WAITED_ON} for an `unwatched` one. */
export type ReleaseAnswer = boolean | typeof WAITED_ON;

/**
 * Releases plain locks (and the keys of multi-key locks). Shared with the Redlock backend, which
 * runs it on each node.
 */
export const RELEASE = new RedisScript<readonly ReleaseItem[], ReleaseAnswer[]>({
  name: 'release',
  source: RELEASE_LUA,
  call: (locks) => {
    const keys: string[] = [];
    const args: string[] = [''];
    let layout = '';
    for (let i = 0; i < locks.length; i++) {
      const lock = locks[i]!;
      const lockKey = lockKeyOf(lock.key);
      if (lock.unwatched === true) {
        layout += ALONE_LAYOUT;
        keys.push(lockKey);
      } else {
        layout += WAITING_LAYOUT;
        keys.push(lockKey, sleepersKeyOf(lockKey), turnKeyOf(lockKey));
      }
      args.push(lock.owner);
    }
    args[0] = layout;
    return { keys, args };
  },
  reply: (raw, locks) => {
    const values = Array.isArray(raw) ? raw : locks.length === 1 ? [raw] : undefined;
    if (values?.length !== locks.length) return undefined;
    const answers: ReleaseAnswer[] = [];
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === 1 || value === 0) answers.push(value === 1);
      else if (value === 2 && locks[i]!.unwatched === true) answers.push(WAITED_ON);
      else return undefined;
    }
    return answers;
  },
  returns: '1 | 0 | 2 per lock (a lone lock: 1 | 0 | 2)',
});
