/**
 * How long a lock's sleepers set lives after the last missed attempt on it, in ms. Every waiter
 * misses again at least every 2 s (its fallback re-check), so the set of a busy lock never lapses;
 * one left by processes that died does.
 */
export const SLEEPERS_LIFETIME_MS = 10_000;

/**
 * How long a woken process's turn blocks others from a free lock, in ms: the time it has, after
 * the release woke it, to make its attempt. A turn of a process that died keeps the free lock from
 * the others for at most this long (they take it at their next re-check).
 */
export const TURN_REACTION_MS = 1_000;

/**
 * A fence key's value ends with this character (`!`) while a woken process may have the lock's
 * turn: a grant, which reads the fence anyway, then reads the turn too. Every reader of a fence
 * value takes its number with {@link fenceNumberLua}.
 */
export const FENCE_TURN_MARK_BYTE = 33;

/**
 * A lease whose token is followed by this character (`!`: `"<token>!:<owner>"`) has waiting
 * processes: a waiter's missed attempt marks the lease it found (see {@link missedAttemptLua}), and
 * so does a waiter's grant while others stay registered. Only the release of a marked lease looks
 * for a sleeper or a turn to wake; any other release publishes on the lock's channel, as it did
 * before processes registered, so a lock nobody waits on pays nothing for wake-one. `leaseOf`
 * reads a lease with or without it.
 */
export const LEASE_WAKE_MARK_BYTE = 33;

/**
 * Marks the lease held at `lockKey` (see {@link LEASE_WAKE_MARK_BYTE}), if it is a lease and not
 * marked yet, keeping its expiry. A Lua block reading the local `lockKey`; read holds and permits
 * (sorted sets) are left alone, as is a free key.
 */
export function markLeaseLua(): string {
  return `
    local lease = redis.pcall('GET', lockKey)
    local sep = type(lease) == 'string' and string.find(lease, ':', 1, true)
    if sep and sep > 1 and string.byte(lease, sep - 1) ~= ${LEASE_WAKE_MARK_BYTE} then
      redis.call('SET', lockKey, string.sub(lease, 1, sep - 1) .. '!' .. string.sub(lease, sep), 'KEEPTTL')
    end`;
}

/** A Lua expression: the fencing token in the fence value `value` (text or nil), the mark removed. */
export function fenceNumberLua(value: string): string {
  return `tonumber((string.gsub(${value} or '', '!$', '')))`;
}

/**
 * How the acquire and release scripts are told, per lock, which keys are passed (their `ARGV[1]`
 * holds one character per lock): `w` for a lock passed with the keys of its waiters (sleepers,
 * turn), `-` for one passed without them, which is all a lock nobody waits on needs (a Redis
 * Cluster requires a script to declare every key it touches, so the keys a script may need must be
 * passed; these two let the scripts be given them only where they may be needed).
 */
export const WAITING_LAYOUT = 'w';
/** See {@link WAITING_LAYOUT}. */
export const ALONE_LAYOUT = '-';

/** The prefix of a wake-up sent to one process's inbox; the lock's release channel follows it. */
export const WAKE_PREFIX = 'wake:';

/**
 * The sleeper argument of an acquire attempt: `''` (no local waiter listens on the lock: register
 * nothing), `+<inbox>` (a waiter of the process listens: a miss registers it), or `!<inbox>` (the
 * process was woken for this lock: a miss gives it the next turn).
 */
export type SleeperArgument = '' | `+${string}` | `!${string}`;

/**
 * A missed attempt of a waiting process: a Lua block spliced into the acquire scripts, reading the
 * locals `nowMs`, `lockKey`, `fenceKey`, `fenceTtl`, `sleepersKey`, `turnKey` and `sleeper` (see
 * {@link SleeperArgument}).
 *
 * A waiter's process joins the sleepers in arrival order (`ZADD NX`: its place is kept while it
 * keeps missing). A woken process that lost the race for the freed lock to a caller that did not
 * wait (a holder taking it again at once) gets the lock's **turn**: the next release wakes it and
 * no one else may take the lock before it tries. So a caller can barge in once, never twice: the
 * wait of a woken process is bounded by one more hold. The turn marks the fence value (a trailing
 * `!`), which tells a grant to look at the turn; the place or the turn marks the lease the attempt
 * found (see {@link LEASE_WAKE_MARK_BYTE}), which tells its release to wake someone.
 */
export function missedAttemptLua(): string {
  return `
  if sleeper ~= '' then
    local inbox = string.sub(sleeper, 2)
    if string.sub(sleeper, 1, 1) == '!' and redis.call('EXISTS', turnKey) == 0 then
      local held = redis.call('PTTL', lockKey)
      redis.call('SET', turnKey, inbox, 'PX', math.max(held, 0) + ${TURN_REACTION_MS})
      local fence = redis.call('GET', fenceKey)
      if not fence then
        redis.call('SET', fenceKey, '0!', 'PX', fenceTtl)
      elseif string.byte(fence, -1) ~= ${FENCE_TURN_MARK_BYTE} then
        redis.call('SET', fenceKey, fence .. '!', 'KEEPTTL')
      end
    else
      redis.call('ZADD', sleepersKey, 'NX', nowMs, inbox)
      redis.call('PEXPIRE', sleepersKey, ${SLEEPERS_LIFETIME_MS})
    end${markLeaseLua()}
  end`;
}

/**
 * A granted attempt: drops the process's place (and its turn). A Lua block for the acquire
 * scripts, reading the locals `sleepersKey`, `turnKey` and `sleeper`. Other waiters of the same
 * process need no place while it holds the lock: its release wakes them in the process itself.
 * A grant to a caller that does not wait (`sleeper` is `''`) touches neither key.
 */
export function grantedAttemptLua(): string {
  return `
  if sleeper ~= '' then
    local inbox = string.sub(sleeper, 2)
    redis.call('ZREM', sleepersKey, inbox)
    if redis.call('GET', turnKey) == inbox then redis.call('DEL', turnKey) end
  end`;
}

/**
 * After a waiter's grant has set the lease at `lockKey`: marks it while other processes stay
 * registered on the key, so that its release wakes the next of them (see
 * {@link LEASE_WAKE_MARK_BYTE}). A Lua block reading the locals `lockKey`, `sleepersKey` and
 * `sleeper`; a caller that does not wait pays nothing for it. (Turns need no check: a grant while
 * another process's turn lives is refused.)
 */
export function markAfterGrantLua(): string {
  return `
  if sleeper ~= '' and redis.call('EXISTS', sleepersKey) == 1 then${markLeaseLua()}
  end`;
}

/**
 * Wakes the waiters of a lock that just became free: a Lua block for the release scripts, reading
 * the locals `sleepersKey`, `turnKey` and `channel` (the lock's release channel). The
 * process whose turn it is, else the process that has slept longest, is sent `wake:<channel>` on
 * its inbox, and only it wakes: no herd of every waiting process racing for one key. A turn then
 * lasts {@link TURN_REACTION_MS} at most. With nobody registered (waiters of other kinds, or of an
 * older version of this library), the release is published on the channel itself, as before, for
 * everyone. A release runs it only for a marked lease (see {@link LEASE_WAKE_MARK_BYTE}); an
 * unmarked one publishes on the channel at once. (Fair waiters on a key that plain waiters also
 * wait on are then told by their ticket refresh, within 750 ms: keep a key fair or not.)
 */
export function wakeOneLua(): string {
  return `
  local woken = false
  if redis.call('EXISTS', turnKey, sleepersKey) > 0 then
    woken = redis.call('GET', turnKey)
    if woken then
      redis.call('PEXPIRE', turnKey, ${TURN_REACTION_MS})
    else
      woken = redis.call('ZPOPMIN', sleepersKey)[1]
    end
  end
  if woken then redis.call('PUBLISH', woken, '${WAKE_PREFIX}' .. channel) end
  if not woken then redis.call('PUBLISH', channel, '') end`;
}
