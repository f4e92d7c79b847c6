import { instanceKeysOf } from '../redis-keys.js';
import { flag } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';

/**
 * Removes one instance record; Redis deletes both keys with their last member.
 *
 * KEYS[1] = the records hash, KEYS[2] = their expiries (`instanceKeysOf`). ARGV[1] = id.
 * Returns 1 when there was a record, 0 when not.
 */
export const INSTANCE_WITHDRAW_LUA = `
redis.call('HDEL', KEYS[1], ARGV[1])
return redis.call('ZREM', KEYS[2], ARGV[1])
`;

export const INSTANCE_WITHDRAW = new RedisScript<
  { readonly prefix: string; readonly id: string },
  boolean
>({
  name: 'instance-withdraw',
  source: INSTANCE_WITHDRAW_LUA,
  call: ({ prefix, id }) => ({ keys: instanceKeysOf(prefix), args: [id] }),
  reply: (raw) => flag(raw),
  returns: '1 | 0',
});
