import { createHash } from 'node:crypto';

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

const RELEASED = ':released';

/** The pub/sub channel the release script publishes on. Must match `RELEASE_LUA`. */
export function releaseChannelOf(lockKey: string): string {
  return `${lockKey}${RELEASED}`;
}

/** The lock key whose release channel is `channel`; `undefined` for any other channel. */
export function lockKeyOfReleaseChannel(channel: string): string | undefined {
  return channel.endsWith(RELEASED) ? channel.slice(0, -RELEASED.length) : undefined;
}

/**
 * The processes whose waiters sleep on a lock (sorted set of inbox channel → arrival, store ms): a
 * plain release wakes the one that arrived first instead of every process. See `wake-one.lua.ts`.
 */
export function sleepersKeyOf(lockKey: string): string {
  return `${lockKey}:sleepers`;
}

/** The inbox of the process whose turn it is to take a lock next (string, with a PX). */
export function turnKeyOf(lockKey: string): string {
  return `${lockKey}:turn`;
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

/**
 * The instance records kept under `prefix` (see `LockDirectory.announce`): a hash of id →
 * "<writer's stamp>:<payload>" and a sorted set of id → store-clock expiry ms. Both start with
 * "nestjs-locker:", never "{", so neither is a lock key nor a key derived from one, and a listing
 * (which scans "{<prefix>*") never meets them. Both carry the same hash tag, a digest of the prefix
 * (never empty, never holding a "}"), so they share one cluster slot and one script reads both;
 * the prefix itself follows the tag, so two prefixes never share a record key.
 */
export function instanceKeysOf(prefix: string): [records: string, expiries: string] {
  const tag = createHash('sha1').update(prefix).digest('hex').slice(0, 20);
  return [
    `nestjs-locker:instances:{${tag}}${prefix}`,
    `nestjs-locker:instance-expiries:{${tag}}${prefix}`,
  ];
}

/**
 * The SCAN pattern of every lock key (and key derived from one) whose store key starts with
 * `prefix`: the prefix with the glob characters `*?[]\` escaped, after the "{" that opens every lock
 * key.
 */
export function lockKeyPattern(prefix: string): string {
  return `{${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
}

/**
 * The store key of `key` when it is a lock key (`lockKeyOf`), `undefined` for a key derived from
 * one (fence, sleepers, turn, queue, tickets, permits, readers, result): only a lock key ends with the "}" that
 * closes it, every derived key ends in its suffix.
 */
export function storeKeyOfLockKey(key: string): string | undefined {
  return key.length >= 2 && key.startsWith('{') && key.endsWith('}') ? key.slice(1, -1) : undefined;
}
