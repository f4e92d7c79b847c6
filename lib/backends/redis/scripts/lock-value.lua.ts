/**
 * The member that marks the sorted set of a key's read holds (scored 0, below every expiry): read
 * holds are stored at the lock key itself, so a plain acquire misses while they live, and this mark
 * tells them apart from a semaphore's permits, which are a sorted set at the lock key too. No
 * owner may be named so (`RedisReadWriteLocks` refuses it).
 */
export const READ_HOLDS_MARK = 'nestjs-locker:read-holds';

/**
 * A block of Lua that reads the value of the lock key `key` into the new local `target`, for the
 * mutex scripts (spliced, not a function: no closure per run). A string is the lease
 * "<fencing token>:<owner>", `false` a free key; read holds of a read-write lock read as `''`,
 * a value held by nobody the script can name, so the key is busy and no owner check passes.
 * Any other value (a semaphore's permits) raises GET's own WRONGTYPE error, as before read holds
 * existed. The usual string costs a `pcall` instead of a `call`, nothing more.
 */
export function lockValueLua(target: string, key: string): string {
  return `local ${target} = redis.pcall('GET', ${key})
  if type(${target}) == 'table' then
    if not redis.call('ZSCORE', ${key}, '${READ_HOLDS_MARK}') then redis.call('GET', ${key}) end
    ${target} = ''
  end`;
}
