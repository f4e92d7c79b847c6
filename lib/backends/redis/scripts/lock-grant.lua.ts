import { lockValueLua } from './lock-value.lua.js';
import { FENCE_TURN_MARK_BYTE } from './wake-one.lua.js';

/**
 * The grant shared by the single-server and the Redlock acquire scripts: a block of Lua spliced
 * into both (a Lua function would be a closure made on every script run: ~0.25 µs a call on each
 * node, measured). It needs `OWNER_CHECK_LUA` in the script's prologue, reads the locals `lockKey`,
 * `fenceKey`, `ttl` and `fenceTtl` (ms, as text), `value` ("<proposed>:<owner>") and the one named
 * `proposed` (the proposed fencing token, as text), and sets the locals `token` (the fencing token,
 * or `false` when refused), `holder` and `turnUnread` (see `TURN_CHECK_LUA`).
 *
 * A free key is set to `value` and gets the larger of its fence's last token + 1 and the proposal:
 * the lock is set under the proposal first, and its value and the fence are corrected in the rare
 * case that the fence was ahead, so the usual grant is two commands (`SET NX`, `SET … GET`) with no
 * number formatting. A key the same owner holds gets its lease refreshed and its token back (a
 * retried acquire whose answer was lost is harmless). Otherwise `holder` names the owner holding it
 * (`''` for read holds, which keep the key busy while they live). With `turns` (the single server),
 * a free key whose turn belongs to another process is refused (see `TURN_CHECK_LUA`).
 */
export function lockGrantLua(proposed: string, options: { turns?: boolean } = {}): string {
  return `
  local token, holder, turnUnread = false, '', false
  if redis.call('SET', lockKey, value, 'NX', 'PX', ttl) then
    local last = redis.call('SET', fenceKey, ${proposed}, 'PX', fenceTtl, 'GET')
    local granted = true${options.turns ? TURN_CHECK_LUA : ''}
    if granted then
      token = tonumber(${proposed})
      last = tonumber(last)
      if last and last >= token then
        token = last + 1
        local tokenText = string.format('%.0f', token)
        redis.call('SET', lockKey, tokenText .. string.sub(value, #${proposed} + 1), 'PX', ttl)
        redis.call('SET', fenceKey, tokenText, 'PX', fenceTtl)
      end
    end
  else
    ${lockValueLua('held', 'lockKey')}
    local current, currentToken = leaseOf(held)
    holder = current or ''
    if current == string.sub(value, #${proposed} + 2) then
      redis.call('PEXPIRE', lockKey, ttl)
      token = tonumber(currentToken)
    end
  end`;
}

/**
 * The turn check of the single server's grant (see `wake-one.lua.ts`): a fence value ending in
 * `!` says a woken process may have the key's turn. Only then is the turn read; if it is another
 * process's, the grant is undone (the key deleted again, the fence restored with its mark) and
 * refused. So a key nobody contends pays nothing for turns: the fence is read by the grant anyway.
 * Reads the locals `turnKey` (`false` when the caller did not pass it) and `sleeper`; without the
 * turn key, a marked fence undoes the grant too and sets the local `turnUnread`, so that the caller
 * asks again with it.
 */
const TURN_CHECK_LUA = `
    if last and string.byte(last, -1) == ${FENCE_TURN_MARK_BYTE} then
      local turn = turnKey and redis.call('GET', turnKey)
      if not turnKey or (turn and turn ~= string.sub(sleeper, 2)) then
        granted, turnUnread = false, not turnKey
        redis.call('DEL', lockKey)
        redis.call('SET', fenceKey, last, 'PX', fenceTtl)
      else
        last = string.sub(last, 1, -2)
      end
    end`;
