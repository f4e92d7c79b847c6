import type { LockBackendError } from '../../contract/errors.js';
import type { AcquireResult, ExtendResult, LeaseToExtend } from '../../contract/lease.js';
import { fenceKeyOf, lockKeyOf, permitsKeyOf, queueKeyOf, ticketsKeyOf } from './redis-keys.js';
import { batchReply, RedisScript } from './redis-script.js';
import { EXTEND, RELEASE } from './redis-scripts.js';
import { FAIR_ACQUIRE_LUA } from './scripts/fair-acquire.lua.js';
import { FAIR_RELEASE_LUA } from './scripts/fair-release.lua.js';
import { MULTI_ACQUIRE_LUA } from './scripts/multi-acquire.lua.js';
import { SEMAPHORE_ACQUIRE_LUA } from './scripts/semaphore-acquire.lua.js';
import { SEMAPHORE_EXTEND_LUA } from './scripts/semaphore-extend.lua.js';
import { SEMAPHORE_RELEASE_LUA } from './scripts/semaphore-release.lua.js';

/** Which kind of lease a call is about (internal to this backend). */
export type LeaseShape =
  | { readonly kind: 'fair'; readonly ticketTtlMs?: number; readonly join?: boolean }
  | { readonly kind: 'semaphore'; readonly permits?: number }
  | { readonly kind: 'multi'; readonly keys: readonly string[] };

type ShapedLease = LeaseToExtend & { readonly shape: LeaseShape };

const FAIR_ACQUIRE = new RedisScript(FAIR_ACQUIRE_LUA);
const FAIR_RELEASE = new RedisScript(FAIR_RELEASE_LUA);
const SEMAPHORE_ACQUIRE = new RedisScript(SEMAPHORE_ACQUIRE_LUA);
const SEMAPHORE_EXTEND = new RedisScript(SEMAPHORE_EXTEND_LUA);
const SEMAPHORE_RELEASE = new RedisScript(SEMAPHORE_RELEASE_LUA);
const MULTI_ACQUIRE = new RedisScript(MULTI_ACQUIRE_LUA);

/** Runs one script with the backend's client and timeout. */
export type RunScript = (
  script: RedisScript,
  keys: readonly string[],
  args: readonly (string | number)[],
) => Promise<unknown>;

/**
 * Runs `run` on all of `items`, or once per hash slot on a cluster, where the items of a slot that
 * failed get its error: the backend's own splitter.
 */
export type RunPerSlot = <I extends { readonly key: string }, R>(
  items: I[],
  run: (group: I[]) => Promise<R[]>,
  operation: string,
) => Promise<(R | LockBackendError)[]>;

/** Wraps a failure of one operation on one key (or several, `undefined`) as the backend's error. */
export type BackendFailure = (
  operation: string,
  key: string | undefined,
  error: unknown,
) => LockBackendError;

/**
 * Fair locks, semaphores and multi-key locks on Redis: one script run per call (they are rarer than
 * plain locks, so they are not coalesced per tick), all keys of one lease under its hash tag.
 */
export class RedisLeaseShapes {
  constructor(
    private readonly run: RunScript,
    private readonly perSlot: RunPerSlot,
    private readonly failure: BackendFailure,
    private readonly fenceRetentionMs: number,
    /** The channel fair hand-offs to this process go to ('' for the key's own channel). */
    private readonly inbox: () => Promise<string>,
  ) {}

  async acquire(
    key: string,
    owner: string,
    ttlMs: number,
    shape: LeaseShape,
  ): Promise<AcquireResult> {
    let reply: [number, number, string | number];
    if (shape.kind === 'fair') {
      const lockKey = lockKeyOf(key);
      const join = shape.join !== false;
      reply = (await this.run(FAIR_ACQUIRE, fairKeys(lockKey), [
        owner,
        ttlMs,
        shape.ticketTtlMs!,
        join ? 1 : 0,
        this.fenceRetentionMs,
        join ? await this.inbox() : '',
      ])) as typeof reply;
    } else if (shape.kind === 'semaphore') {
      const lockKey = lockKeyOf(key);
      reply = (await this.run(
        SEMAPHORE_ACQUIRE,
        [lockKey, permitsKeyOf(lockKey), fenceKeyOf(lockKey)],
        [owner, ttlMs, shape.permits!, this.fenceRetentionMs],
      )) as typeof reply;
    } else {
      const keys = shape.keys.flatMap((each) => {
        const lockKey = lockKeyOf(each);
        return [lockKey, fenceKeyOf(lockKey)];
      });
      reply = (await this.run(MULTI_ACQUIRE, keys, [
        owner,
        ttlMs,
        this.fenceRetentionMs,
      ])) as typeof reply;
    }
    const [nowMs, acquired, value] = reply;
    if (acquired === 1) {
      return { acquired: true, fencingToken: BigInt(value), expiresAt: nowMs + ttlMs };
    }
    const retryAfterMs = Number(value);
    return { acquired: false, retryAfterMs: retryAfterMs >= 0 ? retryAfterMs : undefined };
  }

  /**
   * Extends leases of the shapes with scripts of their own (semaphore permits, multi-key leases),
   * in order. Each settles on its own: a lease its server (or, on a cluster, its slot's master)
   * could not extend gets its error, the others their answers. Rejects only when all failed.
   */
  async extend(leases: readonly ShapedLease[]): Promise<ExtendResult[]> {
    const permits = leases.filter((lease) => lease.shape?.kind === 'semaphore');
    const results = new Map<ShapedLease, ExtendResult>();
    let failures = 0;
    let lastError: LockBackendError | undefined;
    const record = (lease: ShapedLease, result: ExtendResult): void => {
      results.set(lease, result);
      if (typeof result === 'object') {
        failures++;
        lastError = result;
      }
    };
    const permitsDone =
      permits.length === 0
        ? undefined
        : this.perSlot(permits, (group) => this.#extendPermits(group), 'extend').then(
            (extended) => {
              for (const [i, lease] of permits.entries()) record(lease, extended[i]);
            },
            (error: unknown) => {
              const failure = this.failure('extend', undefined, error);
              for (const lease of permits) record(lease, failure);
            },
          );
    await Promise.all([
      permitsDone,
      ...leases
        .filter((lease) => lease.shape?.kind === 'multi')
        .map((lease) =>
          this.#extendMulti(lease).then(
            (result) => record(lease, result),
            (error: unknown) => record(lease, this.failure('extend', lease.key, error)),
          ),
        ),
    ]);
    if (failures === leases.length && lastError) throw lastError;
    return leases.map((lease) => results.get(lease));
  }

  /** Extends semaphore permits of one server (or slot) with one script run. */
  async #extendPermits(permits: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    const keys = permits.flatMap((lease) => {
      const lockKey = lockKeyOf(lease.key);
      return [lockKey, permitsKeyOf(lockKey)];
    });
    const args = permits.flatMap((lease) => [lease.owner, lease.ttlMs]);
    const reply = (await this.run(SEMAPHORE_EXTEND, keys, args)) as number[];
    return permits.map((lease, i) => (reply[i + 1] === 1 ? reply[0]! + lease.ttlMs : undefined));
  }

  /** Extends a multi-key lease: all its keys, or `undefined` when the owner lost any of them. */
  async #extendMulti(lease: ShapedLease): Promise<ExtendResult> {
    const keys = (lease.shape as { keys: readonly string[] }).keys.map(lockKeyOf);
    const args = keys.flatMap(() => [lease.owner, lease.ttlMs]);
    const reply = (await this.run(EXTEND, keys, args)) as number[];
    const all = reply.slice(1).every((extended) => extended === 1);
    return all ? reply[0]! + lease.ttlMs : undefined;
  }

  async release(key: string, owner: string, shape: LeaseShape): Promise<boolean> {
    if (shape.kind === 'fair') {
      const reply = await this.run(FAIR_RELEASE, fairKeys(lockKeyOf(key)), [
        owner,
        this.fenceRetentionMs,
      ]);
      return reply === 1;
    }
    if (shape.kind === 'semaphore') {
      const lockKey = lockKeyOf(key);
      const reply = await this.run(SEMAPHORE_RELEASE, [lockKey, permitsKeyOf(lockKey)], [owner]);
      return reply === 1;
    }
    const keys = shape.keys.map(lockKeyOf);
    const reply = await this.run(
      RELEASE,
      keys,
      keys.map(() => owner),
    );
    return batchReply<number>(reply).some((released) => released === 1);
  }
}

/** The keys of a fair lock, in the order of the fair scripts' KEYS. */
function fairKeys(lockKey: string): string[] {
  return [lockKey, fenceKeyOf(lockKey), queueKeyOf(lockKey), ticketsKeyOf(lockKey)];
}
