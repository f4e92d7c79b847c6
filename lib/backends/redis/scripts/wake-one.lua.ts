/**
 * How long a process stays registered as a sleeper on a lock after its last missed attempt, in ms.
 * A waiter tries again at least every 2 s (its fallback re-check), which registers it anew, so a
 * live waiter never drops out; a registration of a process that died lapses after this long.
 */
export const SLEEPER_REGISTRATION_MS = 5_000;

/** The prefix of a wake-up sent to one process's inbox; the lock's release channel follows it. */
export const WAKE_PREFIX = 'wake:';

/**
 * Registers a process as a sleeper on a lock, after a missed attempt of one of its waiters: a Lua
 * block spliced into the acquire scripts. It reads the locals `nowMs`, `sleepersKey` and `sleeper`
 * (the process's inbox channel; `''` when no waiter of the process listens on the lock: nothing to
 * register).
 */
export function registerSleeperLua(): string {
  return `
  if sleeper ~= '' then
    redis.call('ZADD', sleepersKey, nowMs + ${SLEEPER_REGISTRATION_MS}, sleeper)
    redis.call('PEXPIRE', sleepersKey, ${SLEEPER_REGISTRATION_MS})
  end`;
}

/**
 * Drops a process's registration once it got the lock: a Lua block for the acquire scripts,
 * reading the locals `sleepersKey` and `sleeper`. Other waiters of the same process need no
 * registration while it holds the lock: its release wakes them in the process itself.
 */
export function unregisterSleeperLua(): string {
  return `
  if sleeper ~= '' then redis.call('ZREM', sleepersKey, sleeper) end`;
}

/**
 * Wakes the waiters of a lock that just became free: a Lua block for the release scripts, reading
 * the locals `sleepersKey`, `queueKey` and `channel` (the lock's release channel). The registered
 * process that has slept longest (lapsed registrations skipped) is sent `wake:<channel>` on its
 * inbox, and only it wakes: no herd of every waiting process racing for one key. With nobody
 * registered (waiters of other kinds, or of an older version of this library), or with a fair
 * queue on the key, the release is also published on the channel itself, as before, for everyone.
 */
export function wakeOneLua(): string {
  return `
  local woken = false
  local popped = redis.call('ZPOPMIN', sleepersKey)
  if popped[1] then
    local time = redis.call('TIME')
    local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    while popped[1] and tonumber(popped[2]) < nowMs do
      popped = redis.call('ZPOPMIN', sleepersKey)
    end
    if popped[1] then
      redis.call('PUBLISH', popped[1], '${WAKE_PREFIX}' .. channel)
      woken = true
    end
  end
  if not woken or redis.call('EXISTS', queueKey) == 1 then
    redis.call('PUBLISH', channel, '')
  end`;
}
