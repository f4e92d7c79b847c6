import { describe, expect, it } from '@jest/globals';
import type { RedisClientLike } from '../../lib/backends/redis/redis-client.js';
import type { RedisScript, ScriptReply } from '../../lib/backends/redis/redis-script.js';
import { RedisScriptReplyError } from '../../lib/backends/redis/redis-script-reply.error.js';
import { ACQUIRE } from '../../lib/backends/redis/scripts/acquire.lua.js';
import { EXTEND } from '../../lib/backends/redis/scripts/extend.lua.js';
import { FAIR_ACQUIRE } from '../../lib/backends/redis/scripts/fair-acquire.lua.js';
import { FAIR_RELEASE } from '../../lib/backends/redis/scripts/fair-release.lua.js';
import { INSPECT } from '../../lib/backends/redis/scripts/inspect.lua.js';
import { MULTI_ACQUIRE } from '../../lib/backends/redis/scripts/multi-acquire.lua.js';
import { READ_WRITE_ACQUIRE } from '../../lib/backends/redis/scripts/read-write-acquire.lua.js';
import { READ_WRITE_EXTEND } from '../../lib/backends/redis/scripts/read-write-extend.lua.js';
import { READ_WRITE_RELEASE } from '../../lib/backends/redis/scripts/read-write-release.lua.js';
import { RELEASE } from '../../lib/backends/redis/scripts/release.lua.js';
import { SEMAPHORE_ACQUIRE } from '../../lib/backends/redis/scripts/semaphore-acquire.lua.js';
import { SEMAPHORE_EXTEND } from '../../lib/backends/redis/scripts/semaphore-extend.lua.js';
import { SEMAPHORE_RELEASE } from '../../lib/backends/redis/scripts/semaphore-release.lua.js';
import { ADOPT_TOKEN } from '../../lib/backends/redlock/scripts/adopt-token.lua.js';
import { QUORUM_ACQUIRE } from '../../lib/backends/redlock/scripts/quorum-acquire.lua.js';
import { QUORUM_EXTEND } from '../../lib/backends/redlock/scripts/quorum-extend.lua.js';
import { UNDO_ACQUIRE } from '../../lib/backends/redlock/scripts/undo-acquire.lua.js';
import type { AcquireResult } from '../../lib/contract/lease.js';
import { LockBackendError, RedisLockBackend } from '../../lib/index.js';

const lock = { key: 'k', owner: 'o', ttlMs: 1_000 };
const lease = { key: 'k', owner: 'o', ttlMs: 1_000 };
const one = { key: 'k', owner: 'o', ttlMs: 1_000, fenceRetentionMs: 0 };

/** A script, an input, replies it gives, and replies of shapes it never gives. */
interface ReplyCase<In, Out extends ScriptReply> {
  readonly script: RedisScript<In, Out>;
  readonly input: In;
  readonly good: readonly [unknown, Out][];
  readonly bad: readonly unknown[];
}

function replyCase<In, Out extends ScriptReply>(
  c: ReplyCase<In, Out>,
): ReplyCase<unknown, ScriptReply> {
  return c as unknown as ReplyCase<unknown, ScriptReply>;
}

const granted = (fencingToken: bigint, expiresAt: number): AcquireResult => ({
  acquired: true,
  fencingToken,
  expiresAt,
});

const CASES = [
  replyCase({
    script: ACQUIRE,
    input: { locks: [lock, { ...lock, key: 'k2' }], fenceRetentionMs: 0 },
    good: [
      [
        [5_000, 7, '250'],
        [granted(7n, 6_000), { acquired: false, retryAfterMs: 250 }],
      ],
    ],
    bad: [
      null,
      'OK',
      [5_000, 7],
      [5_000, 7, null],
      [5_000, 7, 'soon'],
      ['5000', 7, '1'],
      [5_000, 7.5, '1'],
    ],
  }),
  replyCase({
    script: ACQUIRE,
    input: { locks: [lock], fenceRetentionMs: 0 },
    good: [
      [5_000_123, [granted(5_000_123n, 6_000)]],
      ['-2', [{ acquired: false, retryAfterMs: undefined }]],
    ],
    bad: [null, 'held', [5_000], true],
  }),
  replyCase({
    script: EXTEND,
    input: [lease, { ...lease, ttlMs: 2_000 }],
    good: [
      [
        [5_000, 1, 0],
        [6_000, undefined],
      ],
    ],
    bad: [1, [5_000, 1], [5_000, 1, 2], [5_000, '1', 0], [null, 1, 0]],
  }),
  replyCase({
    script: RELEASE,
    input: [lease],
    good: [
      [1, [true]],
      [0, [false]],
    ],
    bad: [null, 2, '1', [1, 0]],
  }),
  replyCase({
    script: RELEASE,
    input: [lease, { ...lease, key: 'k2' }],
    good: [
      [
        [1, 0],
        [true, false],
      ],
    ],
    bad: [1, [1], [1, 0, 1], [1, 'x']],
  }),
  replyCase({
    script: INSPECT,
    input: { key: 'k' },
    good: [
      [[5_000, null, -2], null],
      [[5_000, '42:ab:cd', 100], { owner: 'ab:cd', fencingToken: 42n, expiresAt: 5_100 }],
      [[5_000, '42:o', 100, 3], { owner: 'o', fencingToken: 42n, expiresAt: 5_100, holders: 3 }],
      [
        [5_000, '42:o', 100, 2, 'read'],
        { owner: 'o', fencingToken: 42n, expiresAt: 5_100, holders: 2, mode: 'read' },
      ],
    ],
    bad: [
      null,
      [5_000],
      [5_000, 'o', 100],
      [5_000, ':o', 100],
      [5_000, '42:o', 'x'],
      [5_000, 42, 100],
      [5_000, '42:o', 100, 2, 'write'],
      [5_000, '42:o', 100, 'x', 'read'],
      [5_000, '42:o', 100, 2, 'read', 1],
    ],
  }),
  replyCase({
    script: FAIR_ACQUIRE,
    input: { ...one, ticketTtlMs: 100, join: true, inbox: '' },
    good: [
      [[5_000, 1, '9'], granted(9n, 6_000)],
      [[5_000, 0, 300], { acquired: false, retryAfterMs: 300 }],
    ],
    bad: [null, [5_000, 1], [5_000, 1, 'x'], [5_000, 2, 3], [5_000, 0, '300'], '9'],
  }),
  replyCase({
    script: FAIR_RELEASE,
    input: { key: 'k', owner: 'o', fenceRetentionMs: 0 },
    good: [[1, true]],
    bad: [null, 'OK', [1], 2],
  }),
  replyCase({
    script: SEMAPHORE_ACQUIRE,
    input: { ...one, permits: 2 },
    good: [[[5_000, 1, '9'], granted(9n, 6_000)]],
    // A permit whose token is missing: Redis cuts the array at the nil.
    bad: [[5_000, 1], [5_000, 0], null],
  }),
  replyCase({
    script: SEMAPHORE_EXTEND,
    input: [lease],
    good: [[[5_000, 1], [6_000]]],
    bad: [[5_000], [5_000, 1, 1], 1],
  }),
  replyCase({
    script: SEMAPHORE_RELEASE,
    input: { key: 'k', owner: 'o' },
    good: [[0, false]],
    bad: [null, [0], -1],
  }),
  replyCase({
    script: READ_WRITE_ACQUIRE,
    input: { ...one, mode: 'read', fair: false, ticketTtlMs: 100, join: true },
    good: [
      [[5_000, 1, '9'], granted(9n, 6_000)],
      [[5_000, 0, 300], { acquired: false, retryAfterMs: 300 }],
      [[5_000, 0, -1], { acquired: false, retryAfterMs: undefined }],
    ],
    bad: [null, [5_000, 1], [5_000, 1, 'x'], [5_000, 0, '300'], '9'],
  }),
  replyCase({
    script: READ_WRITE_EXTEND,
    input: [lease, { ...lease, key: 'k2' }],
    good: [
      [
        [5_000, 1, 0],
        [6_000, undefined],
      ],
    ],
    bad: [[5_000, 1], [5_000, 1, 2], 1],
  }),
  replyCase({
    script: READ_WRITE_RELEASE,
    input: { key: 'k', owner: 'o' },
    good: [
      [1, true],
      [0, false],
    ],
    bad: [null, [1], 'OK'],
  }),
  replyCase({
    script: MULTI_ACQUIRE,
    input: { keys: ['a', 'b'], owner: 'o', ttlMs: 1_000, fenceRetentionMs: 0 },
    good: [[[5_000, 1, '9'], granted(9n, 6_000)]],
    bad: [[5_000, 1, '-9'], [5_000], 'x'],
  }),
  replyCase({
    script: QUORUM_ACQUIRE,
    input: { locks: [lock, { ...lock, key: 'k2' }], proposed: '100', fenceRetentionMs: 0 },
    good: [
      [
        [100, '250:ab:cd'],
        [
          { kind: 'granted', token: 100 },
          { kind: 'contended', holder: 'ab:cd', pttlMs: 250 },
        ],
      ],
    ],
    bad: [100, [100], [100, 'held'], [100, ':x'], [100, null]],
  }),
  replyCase({
    script: QUORUM_EXTEND,
    input: { leases: [lease], fenceRetentionMs: 0 },
    good: [[[5_000, 0], [undefined]]],
    bad: [[5_000], [5_000, 1, 1], 0],
  }),
  replyCase({
    script: ADOPT_TOKEN,
    input: { adoptions: [{ key: 'k', owner: 'o', token: 9 }], fenceRetentionMs: 0 },
    good: [[[1], [true]]],
    bad: [1, [], [1, 0], ['1']],
  }),
  replyCase({
    script: UNDO_ACQUIRE,
    input: [lease],
    good: [[1, 1]],
    bad: [null, '1', 2, -1, [1]],
  }),
];

describe('Redis script replies', () => {
  for (const { script, input, good, bad } of CASES) {
    describe(`the "${script.name}" script`, () => {
      it('reads the replies it gives', () => {
        for (const [raw, parsed] of good) expect(script.parse(raw, input, 'redis')).toEqual(parsed);
      });

      it('turns a reply of another shape into a LockBackendError naming the script', () => {
        for (const raw of bad) {
          let thrown: unknown;
          try {
            script.parse(raw, input, 'redis');
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(LockBackendError);
          expect(thrown).toBeInstanceOf(RedisScriptReplyError);
          expect((thrown as RedisScriptReplyError).script).toBe(script.name);
          expect((thrown as Error).message).toContain(`"${script.name}" script`);
        }
      });
    });
  }
});

describe('RedisLockBackend with replies of the wrong shape', () => {
  /** A client whose every script answers `reply`. */
  const clientAnswering = (reply: unknown): RedisClientLike =>
    ({
      evalsha: async () => reply,
      eval: async () => reply,
      duplicate: () => {
        throw new LockBackendError('test', 'duplicate', undefined, 'not used');
      },
      quit: async () => 'OK',
      disconnect: () => undefined,
    }) as RedisClientLike;

  it('rejects an acquire instead of reporting the key as taken', async () => {
    const backend = new RedisLockBackend({ client: clientAnswering('held'), onWarning: false });
    await expect(backend.acquire('k', 'o', 1_000)).rejects.toThrow(/"acquire" script/);
    await expect(
      backend.fair.acquire('k', 'o', 1_000, { ticketTtlMs: 100, join: false }),
    ).rejects.toThrow(/"fair-acquire" script/);
    await expect(backend.semaphore.acquire('k', 'o', 1_000, 2)).rejects.toThrow(
      /"semaphore-acquire" script/,
    );
    await expect(backend.multiKey!.acquire(['a', 'b'], 'o', 1_000)).rejects.toThrow(
      /"multi-acquire" script/,
    );
    await expect(
      backend.readWrite.acquire('k', 'o', 1_000, {
        mode: 'write',
        fair: false,
        ticketTtlMs: 100,
        join: false,
      }),
    ).rejects.toThrow(/"read-write-acquire" script/);
    await backend.close();
  });

  it('rejects an extend, a release and an inspect with the LockBackendError', async () => {
    const backend = new RedisLockBackend({ client: clientAnswering({}), onWarning: false });
    await expect(backend.extend([lease])).rejects.toBeInstanceOf(LockBackendError);
    await expect(backend.release('k', 'o')).rejects.toBeInstanceOf(LockBackendError);
    await expect(backend.inspect('k')).rejects.toThrow(/"inspect" script/);
    await expect(backend.readWrite.extend([lease])).rejects.toThrow(/"read-write-extend" script/);
    await expect(backend.readWrite.release('k', 'o')).rejects.toThrow(
      /"read-write-release" script/,
    );
    await backend.close();
  });
});
