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

/** A fair lock's queue of waiting owners (sorted set by arrival). Must match the fair scripts. */
export function queueKeyOf(lockKey: string): string {
  return `${lockKey}:queue`;
}

/** A fair lock's waiter tickets (hash owner → "<expiry ms>:<ttl ms>"). */
export function ticketsKeyOf(lockKey: string): string {
  return `${lockKey}:tickets`;
}

/** A semaphore's fencing tokens (hash owner → token). */
export function permitsKeyOf(lockKey: string): string {
  return `${lockKey}:permits`;
}

/** A read-write lock's fencing tokens of its read holds (hash owner → token). */
export function readersKeyOf(lockKey: string): string {
  return `${lockKey}:readers`;
}

/** A read-write lock's queue of waiting owners (sorted set by arrival). */
export function readWriteQueueKeyOf(lockKey: string): string {
  return `${lockKey}:rw-queue`;
}

/** A read-write lock's waiter tickets (hash owner → "<mode>:<ticket expiry ms>"). */
export function readWriteTicketsKeyOf(lockKey: string): string {
  return `${lockKey}:rw-tickets`;
}

/** The outcome of the key's last shared run (string "<stored at, server µs>:<value>", PX ttl). */
export function resultKeyOf(lockKey: string): string {
  return `${lockKey}:result`;
}

/**
 * The waits-for graph of deadlock detection, one per Redis server: a hash of wait records
 * (id → "<since µs>:<expiry ms>:<JSON of holds, keys, lock keys>"), a hash indexing them by the
 * owner tokens of their holds (owner → JSON array of wait ids), a sorted set of their expiries
 * (id → server ms) for the cleanup, and the last `since` given (µs, so the next is later); all four
 * expire with the last record. No name starts with "{", so no lock key (nor a key derived from
 * one) can ever be one of them.
 */
export const WAIT_GRAPH_KEYS: readonly string[] = [
  'nestjs-locker:waits',
  'nestjs-locker:waits:holds',
  'nestjs-locker:waits:expiry',
  'nestjs-locker:waits:last-since',
];
