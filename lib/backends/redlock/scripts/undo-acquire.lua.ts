import { lockKeyOf } from '../../redis/redis-keys.js';
import { integer } from '../../redis/redis-replies.js';
import { RedisScript } from '../../redis/redis-script.js';
import { OWNER_CHECK_LUA } from '../../redis/scripts/owner-check.lua.js';
import type { ReleaseRequest } from '../../shared/lease-requests.js';

/**
 * Takes back the partial grants of an acquire that did not reach a majority: deletes each key
 * where the owner holds it. Unlike the release script it publishes nothing: a tentative grant was
 * never a lock, and a wake-up would send every waiter, this one's own included, straight into
 * another attempt.
 *
 * KEYS[i] = lock key i.
 * ARGV[i] = owner token of lock i.
 * Returns the number of keys deleted.
 */
export const UNDO_ACQUIRE_LUA = `${OWNER_CHECK_LUA}
local deleted = 0
for i = 1, #KEYS do
  if leaseOf(redis.call('GET', KEYS[i])) == ARGV[i] then
    redis.call('DEL', KEYS[i])
    deleted = deleted + 1
  end
end
return deleted
`;

/** How many of the locks were taken back. */
export const UNDO_ACQUIRE = new RedisScript<readonly ReleaseRequest[], number>({
  name: 'undo-acquire',
  source: UNDO_ACQUIRE_LUA,
  call: (locks) => ({
    keys: locks.map((lock) => lockKeyOf(lock.key)),
    args: locks.map((lock) => lock.owner),
  }),
  reply: (raw, locks) => {
    const deleted = integer(raw);
    return deleted !== undefined && deleted >= 0 && deleted <= locks.length ? deleted : undefined;
  },
  returns: 'the number of keys deleted',
});
