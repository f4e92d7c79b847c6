import { instanceKeysOf } from '../redis-keys.js';
import { integer } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';

/**
 * Writes (or overwrites) one instance record, kept `ttl` ms by the server's clock, and drops the
 * records of the prefix that expired.
 *
 * KEYS[1] = the records hash (id → "<stamp>:<payload>"), KEYS[2] = their expiries (sorted set of
 * id → expiry ms), both of `instanceKeysOf`.
 * ARGV[1] = id, ARGV[2] = the writer's stamp (text), ARGV[3] = payload, ARGV[4] = ttl ms.
 * Returns nowMs. Both keys live as long as the record that expires last.
 */
export const INSTANCE_ANNOUNCE_LUA = `${SERVER_CLOCK_LUA}
local recordsKey, expiriesKey = KEYS[1], KEYS[2]
local id, ttl = ARGV[1], tonumber(ARGV[4])
local expired = redis.call('ZRANGEBYSCORE', expiriesKey, '-inf', nowMs)
for _, gone in ipairs(expired) do redis.call('HDEL', recordsKey, gone) end
redis.call('ZREMRANGEBYSCORE', expiriesKey, '-inf', nowMs)
redis.call('HSET', recordsKey, id, ARGV[2] .. ':' .. ARGV[3])
redis.call('ZADD', expiriesKey, nowMs + ttl, id)
local last = tonumber(redis.call('ZRANGE', expiriesKey, -1, -1, 'WITHSCORES')[2])
local keep = math.max(1, last - nowMs)
redis.call('PEXPIRE', recordsKey, keep)
redis.call('PEXPIRE', expiriesKey, keep)
return nowMs
`;

/** One record to write; `stamp` orders the writes of one writer (Redlock keeps the newest). */
export interface InstanceAnnounceInput {
  readonly prefix: string;
  readonly id: string;
  readonly payload: string;
  readonly ttlMs: number;
  readonly stamp: string;
}

export const INSTANCE_ANNOUNCE = new RedisScript<InstanceAnnounceInput, number>({
  name: 'instance-announce',
  source: INSTANCE_ANNOUNCE_LUA,
  call: ({ prefix, id, payload, ttlMs, stamp }) => ({
    keys: instanceKeysOf(prefix),
    args: [id, stamp, payload, ttlMs],
  }),
  reply: (raw) => integer(raw),
  returns: 'nowMs',
});
