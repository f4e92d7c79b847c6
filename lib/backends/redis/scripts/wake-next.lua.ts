import { sleepersKeyOf, turnKeyOf } from '../redis-keys.js';
import { integer } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { markLeaseLua, wakeOneLua } from './wake-one.lua.js';

/**
 * Passes on a wake-up that reached a process whose waiters on the lock had left (gave up, or got
 * it by a re-check): wakes the next registered sleeper, as the release did, unless the lock is
 * held again (then its own release will: the lease is marked while anyone is registered, see
 * `LEASE_WAKE_MARK_BYTE`).
 *
 * KEYS[1] = lock key, KEYS[2] = its sleepers key, KEYS[3] = its turn key. ARGV[1] = the inbox of
 * the process passing it on: its turn, if it had one, ends.
 * Returns 1 when it woke someone (or everyone on the channel), 0 when the lock is held.
 */
export const WAKE_NEXT_LUA = `
local lockKey, sleepersKey, turnKey = KEYS[1], KEYS[2], KEYS[3]
if redis.call('GET', turnKey) == ARGV[1] then redis.call('DEL', turnKey) end
if redis.call('EXISTS', lockKey) == 1 then
  if redis.call('EXISTS', turnKey, sleepersKey) > 0 then${markLeaseLua()}
  end
  return 0
end
local channel = lockKey .. ':released'
${wakeOneLua()}
return 1
`;

/** The lock key (`lockKeyOf`) of the wake-up to pass on, and the inbox passing it on. */
export const WAKE_NEXT = new RedisScript<{ lockKey: string; inbox: string }, number>({
  name: 'wake-next',
  source: WAKE_NEXT_LUA,
  call: ({ lockKey, inbox }) => ({
    keys: [lockKey, sleepersKeyOf(lockKey), turnKeyOf(lockKey)],
    args: [inbox],
  }),
  reply: (raw) => integer(raw),
  returns: '1 | 0',
});
