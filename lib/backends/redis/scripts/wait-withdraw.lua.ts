import { WAIT_GRAPH_KEYS } from '../redis-keys.js';
import { flag } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { WAIT_GRAPH_LUA } from './wait-graph.lua.js';

/**
 * Withdraws a wait from the waits-for graph: its record, its index entries and its expiry. Redis
 * deletes each key of the graph with its last entry, and the last since given goes with the last
 * record (no wait is left to be later than).
 *
 * KEYS = `WAIT_GRAPH_KEYS`. ARGV[1] = the wait's id.
 * Returns 1 withdrawn | 0 there was no such wait.
 */
export const WAIT_WITHDRAW_LUA = `${WAIT_GRAPH_LUA}
local wait = storedWait(ARGV[1])
if not wait then return 0 end
removeWait(wait)
if redis.call('EXISTS', recordsKey) == 0 then redis.call('DEL', lastSinceKey) end
return 1
`;

/** Withdraws the wait `id`: whether it was there. */
export const WAIT_WITHDRAW = new RedisScript<{ readonly id: string }, boolean>({
  name: 'wait-withdraw',
  source: WAIT_WITHDRAW_LUA,
  call: ({ id }) => ({ keys: WAIT_GRAPH_KEYS, args: [id] }),
  reply: flag,
  returns: '1 | 0',
});
