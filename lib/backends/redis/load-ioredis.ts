import { InvalidLockOptionsError } from '../../contract/errors.js';
import requirePeer from '../shared/require-peer.cjs';
import type { RedisClientLike } from './redis-client.js';

/** The ioredis `Redis` constructor, as the backends use it. */
export type RedisConstructor = new (...args: unknown[]) => RedisClientLike;

/**
 * Loads ioredis, an optional peer dependency, when a backend has to open a connection itself.
 *
 * @throws InvalidLockOptionsError naming `field` and saying what to install when it is missing.
 */
export function loadIoredis(field: string, backend: string): RedisConstructor {
  try {
    return (requirePeer('ioredis') as { Redis: RedisConstructor }).Redis;
  } catch (error) {
    throw new InvalidLockOptionsError(
      field,
      `${backend} needs the "ioredis" package to open connections: npm install ioredis (${String(error)})`,
    );
  }
}
