/**
 * Where a lock lives in Redis. The whole store key is one hash tag, so the lock key, its fence key
 * and its channel name all map to the same cluster slot, whatever characters the key contains: each
 * starts with "{<store key>}", and the tag is cut at the first "}" after the opening "{" in all of
 * them alike.
 */
export function lockKeyOf(storeKey: string): string {
  return `{${storeKey}}`;
}

export function fenceKeyOf(lockKey: string): string {
  return `${lockKey}:fence`;
}

/** The pub/sub channel the release script publishes on. Must match `RELEASE_LUA`. */
export function releaseChannelOf(lockKey: string): string {
  return `${lockKey}:released`;
}
