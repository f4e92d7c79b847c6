import type { WaitCycleMember, WaitRecord } from '../../../contract/wait-graph.js';
import { lockKeyOf, WAIT_GRAPH_KEYS } from '../redis-keys.js';
import { each, integerText } from '../redis-replies.js';
import { RedisScript } from '../redis-script.js';
import { READ_HOLDS_MARK } from './lock-value.lua.js';
import { OWNER_CHECK_LUA } from './owner-check.lua.js';
import { SERVER_CLOCK_LUA } from './server-clock.lua.js';
import { WAIT_GRAPH_LUA } from './wait-graph.lua.js';

/**
 * Publishes a wait to the waits-for graph and answers the cycles through it, all in one script
 * run: one consistent view of every lease and wait.
 *
 * KEYS = `WAIT_GRAPH_KEYS`.
 * ARGV[1] = the wait's id, ARGV[2] = its ttl in ms, ARGV[3] = the longest cycle to report,
 * ARGV[4] = JSON { holds, keys, locks } (`locks`: the lock keys of `keys`, in order).
 * Returns the cycles, each { per member: { id, since (server µs, as text), { store keys } } },
 * starting with this wait; `{}` when there is none.
 *
 * First a few expired records are dropped, then the record is stored (a refresh of a live one
 * keeps its since; a new one gets the server's µs, or 1 µs past the last since given, so no two
 * waits tie) and the graph's keys are set to expire with its last record, so nothing
 * outlives the waits. Then a depth-first walk from the wait lists every simple cycle back to it:
 * a wait's successors are the live waits indexed under an owner that holds a lease on a key it
 * waits for, the mutex owner of the lock key's value ("<fencing token>:<owner>", parsed by
 * `leaseOf`) or one of its live read holds (the sorted set marked by `READ_HOLDS_MARK`); a
 * semaphore (a sorted set without that mark) is no edge. It stops after 32 cycles or 10 000 steps,
 * so a crowded graph cannot stall the server. Expired records met on the way are dropped.
 *
 * The walk reads lock keys named by the records, not by KEYS: allowed on one server (or a
 * Sentinel primary), refused by a Redis Cluster, where those keys live on other slots. That is why
 * `RedisLockBackend` offers no `waits` on a Cluster.
 */
export const WAIT_PUBLISH_LUA = `${SERVER_CLOCK_LUA}${OWNER_CHECK_LUA}${WAIT_GRAPH_LUA}
local MARK, MAX_CYCLES, MAX_VISITS, MAX_CLEANUP = '${READ_HOLDS_MARK}', 32, 10000, 32
local id, ttl, maxLength = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])

local expired = redis.call('ZRANGEBYSCORE', expiryKey, '-inf', nowMs, 'LIMIT', 0, MAX_CLEANUP)
for _, gone in ipairs(expired) do
  local wait = storedWait(gone)
  if wait then removeWait(wait) else redis.call('ZREM', expiryKey, gone) end
end

local since
local old = storedWait(id)
if old then
  if old.expires > nowMs then since = old.since end
  removeWait(old)
end
if not since then
  -- Strictly increasing: two waits never share a since, however close (or if the clock steps back).
  local lastUs = tonumber(redis.call('GET', lastSinceKey))
  since = (lastUs and lastUs >= nowUs) and string.format('%.0f', lastUs + 1) or nowText
  redis.call('SET', lastSinceKey, since)
end
local expires = nowMs + ttl
redis.call('HSET', recordsKey, id, since .. ':' .. string.format('%.0f', expires) .. ':' .. ARGV[4])
redis.call('ZADD', expiryKey, expires, id)
local body = cjson.decode(ARGV[4])
for _, owner in ipairs(body.holds) do
  local ids = waitsHolding(owner)
  ids[#ids + 1] = id
  setWaitsHolding(owner, ids)
end
local last = tonumber(redis.call('ZRANGE', expiryKey, -1, -1, 'WITHSCORES')[2])
local keepMs = math.max(1, math.ceil(last - nowMs))
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, keepMs) end

local start = { id = id, since = since, holds = body.holds, keys = body.keys, locks = body.locks }
-- id -> the live wait, or false when it is gone or expired (then dropped): each read once.
local live = { [id] = start }
local function liveWait(other)
  local known = live[other]
  if known == nil then
    known = storedWait(other) or false
    if known and known.expires <= nowMs then
      removeWait(known)
      known = false
    end
    live[other] = known
  end
  return known
end

-- The owners of the leases on lockKey that are edges: its mutex owner, or its live read holds
-- (the mark scores 0, below the range).
local function holdersOf(lockKey)
  local value = redis.pcall('GET', lockKey)
  if type(value) ~= 'table' then return { (leaseOf(value)) } end
  if redis.call('TYPE', lockKey).ok == 'zset' and redis.call('ZSCORE', lockKey, MARK) then
    return redis.call('ZRANGEBYSCORE', lockKey, '(' .. nowMs, '+inf')
  end
  return {}
end

-- The live waits whose chains hold a lease on a key wait waits for; each wait's found once.
local blockersOf = {}
local function blockers(wait)
  local found = blockersOf[wait.id]
  if found then return found end
  found = {}
  local seen = {}
  for _, lockKey in ipairs(wait.locks) do
    for _, owner in ipairs(holdersOf(lockKey)) do
      for _, other in ipairs(waitsHolding(owner)) do
        if not seen[other] then
          seen[other] = true
          local blocker = liveWait(other)
          if blocker then found[#found + 1] = blocker end
        end
      end
    end
  end
  blockersOf[wait.id] = found
  return found
end

local cycles, path, onPath, visits = {}, { start }, { [id] = true }, 0
local function visit(wait)
  for _, blocker in ipairs(blockers(wait)) do
    visits = visits + 1
    if #cycles >= MAX_CYCLES or visits > MAX_VISITS then return end
    if blocker.id == id then
      local cycle = {}
      for i, member in ipairs(path) do cycle[i] = { member.id, member.since, member.keys } end
      cycles[#cycles + 1] = cycle
    elseif #path < maxLength and not onPath[blocker.id] then
      path[#path + 1] = blocker
      onPath[blocker.id] = true
      visit(blocker)
      path[#path] = nil
      onPath[blocker.id] = nil
    end
  end
end
visit(start)
return cycles
`;

/** One wait to publish, how long it lives and the longest cycle to report. */
export interface WaitPublishInput {
  readonly record: WaitRecord;
  readonly ttlMs: number;
  readonly maxLength: number;
}

/** Publishes a wait: the cycles through it. */
export const WAIT_PUBLISH = new RedisScript<WaitPublishInput, WaitCycleMember[][]>({
  name: 'wait-publish',
  source: WAIT_PUBLISH_LUA,
  call: ({ record: { id, holds, keys }, ttlMs, maxLength }) => ({
    keys: WAIT_GRAPH_KEYS,
    args: [
      id,
      String(ttlMs),
      String(maxLength),
      JSON.stringify({ holds, keys, locks: keys.map(lockKeyOf) }),
    ],
  }),
  reply: (raw) =>
    Array.isArray(raw)
      ? each(raw, (cycle) =>
          Array.isArray(cycle) && cycle.length > 0 ? each(cycle, member) : undefined,
        )
      : undefined,
  returns: '{ per cycle: { per member: { id, "<since µs>", { keys } } } }',
});

/** `{ id, "<since µs>", { keys } }` as a cycle member (since in ms, with its µs as a fraction). */
function member(raw: unknown): WaitCycleMember | undefined {
  if (!Array.isArray(raw) || raw.length !== 3) return undefined;
  const [id, since, keys]: unknown[] = raw;
  const sinceUs = integerText(since);
  if (typeof id !== 'string' || sinceUs === undefined || !Array.isArray(keys)) return undefined;
  const storeKeys = each(keys, (key) => (typeof key === 'string' ? key : undefined));
  return storeKeys && { id, keys: storeKeys, since: sinceUs / 1000 };
}
