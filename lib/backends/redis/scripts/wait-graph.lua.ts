/**
 * The Lua shared by the wait-graph scripts: the keys of `WAIT_GRAPH_KEYS` as the locals
 * `recordsKey`, `holdsKey`, `expiryKey` and `lastSinceKey`, reading a wait record, and removing one
 * with its index entries and its expiry.
 *
 * A record is the hash field `recordsKey[id]` = "<since µs>:<expiry ms>:<JSON { holds, keys,
 * locks }>" (`keys` the store keys it waits for, `locks` their lock keys), indexed under each owner
 * token of `holds` in `holdsKey[owner]` = JSON array of ids, and scored by its expiry in
 * `expiryKey`.
 */
export const WAIT_GRAPH_LUA = `
local recordsKey, holdsKey, expiryKey, lastSinceKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]

-- The record of wait id as stored, expired or not: { id, since (µs, as text), expires (ms),
-- holds, keys, locks }.
local function storedWait(id)
  local raw = redis.call('HGET', recordsKey, id)
  if not raw then return nil end
  local sep = string.find(raw, ':', 1, true)
  local sep2 = string.find(raw, ':', sep + 1, true)
  local body = cjson.decode(string.sub(raw, sep2 + 1))
  return {
    id = id, since = string.sub(raw, 1, sep - 1),
    expires = tonumber(string.sub(raw, sep + 1, sep2 - 1)),
    holds = body.holds, keys = body.keys, locks = body.locks,
  }
end

-- The ids of the waits whose chains hold owner's lease.
local function waitsHolding(owner)
  local ids = redis.call('HGET', holdsKey, owner)
  return ids and cjson.decode(ids) or {}
end

local function setWaitsHolding(owner, ids)
  if #ids == 0 then
    redis.call('HDEL', holdsKey, owner)
  else
    redis.call('HSET', holdsKey, owner, cjson.encode(ids))
  end
end

-- Removes a stored wait, its index entries and its expiry.
local function removeWait(wait)
  redis.call('HDEL', recordsKey, wait.id)
  redis.call('ZREM', expiryKey, wait.id)
  for _, owner in ipairs(wait.holds) do
    local kept = {}
    for _, id in ipairs(waitsHolding(owner)) do
      if id ~= wait.id then kept[#kept + 1] = id end
    end
    setWaitsHolding(owner, kept)
  end
end
`;
