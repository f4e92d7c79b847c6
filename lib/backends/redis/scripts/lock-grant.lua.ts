import { lockValueLua } from './lock-value.lua.js';

/**
 * The grant shared by the single-server and the Redlock acquire scripts: a block of Lua spliced
 * into both (a Lua function would be a closure made on every script run: ~0.25 µs a call on each
 * node, measured). It needs `OWNER_CHECK_LUA` in the script's prologue, reads the locals `lockKey`,
 * `fenceKey`, `ttl` and `fenceTtl` (ms, as text), `value` ("<proposed>:<owner>") and the one named
 * `proposed` (the proposed fencing token, as text), and sets the locals `token` (the fencing token,
 * or `false` when refused) and `holder`.
 *
 * A free key is set to `value` and gets the larger of its fence's last token + 1 and the proposal:
 * the lock is set under the proposal first, and its value and the fence are corrected in the rare
 * case that the fence was ahead, so the usual grant is two commands (`SET NX`, `SET … GET`) with no
 * number formatting. A key the same owner holds gets its lease refreshed and its token back (a
 * retried acquire whose answer was lost is harmless). Otherwise `holder` names the owner holding it
 * (`''` for read holds, which keep the key busy while they live). `gate`, a Lua expression, can
 * keep a free key from being taken (the single server's turns, see `turnAllowsLua`).
 */
export function lockGrantLua(proposed: string, gate?: string): string {
  return `
  local token, holder = false, ''
  if ${gate ? `${gate} and ` : ''}redis.call('SET', lockKey, value, 'NX', 'PX', ttl) then
    token = tonumber(${proposed})
    local last = tonumber(redis.call('SET', fenceKey, ${proposed}, 'PX', fenceTtl, 'GET'))
    if last and last >= token then
      token = last + 1
      local tokenText = string.format('%.0f', token)
      redis.call('SET', lockKey, tokenText .. string.sub(value, #${proposed} + 1), 'PX', ttl)
      redis.call('SET', fenceKey, tokenText, 'PX', fenceTtl)
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
