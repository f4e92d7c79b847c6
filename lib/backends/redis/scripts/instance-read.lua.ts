import { instanceKeysOf } from '../redis-keys.js';
import { integer, integerText, token } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';

/**
 * Reads the live instance records of a prefix, by the server's clock, writing nothing (the next
 * announce drops the expired ones).
 *
 * KEYS[1] = the records hash, KEYS[2] = their expiries (`instanceKeysOf`).
 * Returns { nowMs, then per live record: id, expiry ms, "<stamp>:<payload>" }.
 */
export const INSTANCE_READ_LUA = `${SERVER_CLOCK_LUA}
local out = { nowMs }
local live = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. nowMs, '+inf', 'WITHSCORES')
for i = 1, #live, 2 do
  local record = redis.call('HGET', KEYS[1], live[i])
  if record then
    out[#out + 1] = live[i]
    out[#out + 1] = live[i + 1]
    out[#out + 1] = record
  end
end
return out
`;

/** One live record as a node keeps it. */
export interface StoredInstance {
  readonly id: string;
  readonly payload: string;
  /** Unix epoch ms of the server's clock. */
  readonly expiresAt: number;
  /** The writer's stamp of the write that left this payload. */
  readonly stamp: bigint;
}

/** The live records of a prefix, with the server's clock when it read them. */
export interface StoredInstances {
  readonly nowMs: number;
  readonly records: StoredInstance[];
}

export const INSTANCE_READ = new RedisScript<{ readonly prefix: string }, StoredInstances>({
  name: 'instance-read',
  source: INSTANCE_READ_LUA,
  call: ({ prefix }) => ({ keys: instanceKeysOf(prefix), args: [] }),
  reply: (raw) => {
    if (!Array.isArray(raw) || raw.length % 3 !== 1) return undefined;
    const nowMs = integer(raw[0]);
    if (nowMs === undefined) return undefined;
    const records: StoredInstance[] = [];
    for (let i = 1; i < raw.length; i += 3) {
      const [id, expiry, record]: unknown[] = raw.slice(i, i + 3);
      const expiresAt = integerText(expiry);
      if (typeof id !== 'string' || typeof record !== 'string' || expiresAt === undefined) {
        return undefined;
      }
      const sep = record.indexOf(':');
      const stamp = sep > 0 ? token(record.slice(0, sep)) : undefined;
      if (stamp === undefined) return undefined;
      records.push({ id, payload: record.slice(sep + 1), expiresAt, stamp });
    }
    return { nowMs, records };
  },
  returns: '{ nowMs, per live record: id, expiry, "<stamp>:<payload>" }',
});
