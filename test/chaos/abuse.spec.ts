import { afterAll, describe, expect, it } from '@jest/globals';
import {
  InvalidLockOptionsError,
  type LockBackend,
  LockBackendError,
  LockManager,
  MemoryLockBackend,
  PostgresLockBackend,
  RedisLockBackend,
} from '../../lib/index.js';
import { uniqueId } from '../support/async.js';
import { PG_URL, REDIS_URL, testPort } from '../support/servers.js';

/** Keys an attacker or a careless caller might send: each is stored verbatim or refused, typed. */
const HOSTILE_KEYS = [
  "'; DROP TABLE nestjs_locker; --",
  'redis.call("FLUSHALL")',
  '"quoted" \\ back\\slash $1 %s %_',
  'line\nbreak\r\nand\ttab',
  '{tag}}{',
  'ключ 🔒 鍵 ٣',
  'k'.repeat(1024),
];

const SECRET = 'pa55-w0rd-secret';

const stores: [string, () => LockBackend][] = [
  ['memory', () => new MemoryLockBackend()],
  ['redis', () => new RedisLockBackend({ url: REDIS_URL, onWarning: false })],
  ['postgres', () => new PostgresLockBackend({ connectionString: PG_URL })],
];

describe.each(stores)('abuse of the %s backend', (_name, open) => {
  const locks = new LockManager({ backend: open(), keyPrefix: `abuse:${uniqueId()}:` });
  const other = new LockManager({ backend: open(), keyPrefix: `abuse:${uniqueId()}:` });
  afterAll(async () => {
    await locks.close();
    await other.close();
  });

  it.each(HOSTILE_KEYS.map((key) => [JSON.stringify(key).slice(0, 40), key]))(
    'stores the key %s verbatim, as its own lock',
    async (_label, key) => {
      const lock = await locks.acquire(key!);
      expect((await locks.inspect(key!))?.fencingToken).toBe(lock.fencingToken);
      // A key that differs by one character is another lock.
      const sibling = key!.length >= 1000 ? `${key!.slice(0, -1)}x` : `${key}x`;
      expect(await locks.tryAcquire(sibling)).not.toBeNull();
      await lock.release();
      expect(await locks.isLocked(key!)).toBe(false);
    },
  );

  it.each([
    ['a 10 KB key', 'k'.repeat(10 * 1024)],
    ['a key with NUL', 'a\u0000b'],
    ['a key with a lone surrogate', 'a\ud800b'],
  ])('refuses %s with InvalidLockOptionsError before reaching the store', async (_label, key) => {
    await expect(locks.acquire(key)).rejects.toBeInstanceOf(InvalidLockOptionsError);
  });

  it('gives every lock a fresh 128-bit owner token that no one else can use to extend or release', async () => {
    const owners = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const lock = await locks.acquire(`owner:${i}`);
      expect(lock.owner).toMatch(new RegExp(`^${locks.instanceId}-[0-9a-f]{32}$`));
      owners.add(lock.owner);
      await lock.release();
    }
    expect(owners.size).toBe(200);
  });
});

describe('secrets in errors', () => {
  it.each([
    [
      'redis',
      () =>
        new RedisLockBackend({
          url: `redis://:${SECRET}@127.0.0.1:${testPort(6397)}`,
          commandTimeoutMs: 500,
        }),
    ],
    [
      'postgres',
      () =>
        new PostgresLockBackend({
          connectionString: `postgres://postgres:${SECRET}@127.0.0.1:${testPort(5449)}/postgres`,
          commandTimeoutMs: 500,
        }),
    ],
  ])('never puts the %s password into an error, its cause or its stack', async (_name, open) => {
    const locks = new LockManager({ backend: open() });
    try {
      const error = (await locks.acquire('k').catch((e: unknown) => e)) as LockBackendError;
      expect(error).toBeInstanceOf(LockBackendError);
      const cause = error.cause as Error;
      const text = [
        error.message,
        error.stack,
        cause?.message,
        cause?.stack,
        JSON.stringify(error),
      ].join('\n');
      expect(text).not.toContain(SECRET);
    } finally {
      await locks.close();
    }
  });
});
