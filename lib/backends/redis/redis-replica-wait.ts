import { InvalidLockOptionsError, LockBackendError } from '../../contract/errors.js';
import type { AcquireResult } from '../../contract/lease.js';
import { withTimeout } from '../shared/with-timeout.js';
import type { RedisClientLike } from './redis-client.js';

/** `waitForReplicas`, checked. */
export interface ReplicaWaitOptions {
  readonly replicas: number;
  readonly timeoutMs: number;
}

/**
 * `waitForReplicas` for every kind of lease: after an acquire that took locks, WAIT until enough
 * replicas have the write; with fewer acknowledgements, give the locks back and fail them.
 */
export class RedisReplicaWait {
  constructor(
    private readonly client: RedisClientLike,
    private readonly wait: ReplicaWaitOptions,
    /** The bound on a call, added to WAIT's own timeout. */
    private readonly commandTimeoutMs: number,
  ) {}

  /**
   * For a batch of acquires: the results when enough replicas acknowledged; else `giveBack` runs
   * on the locks taken (its failure ignored) and their results become the error.
   */
  async batch<I extends { readonly key: string }>(
    items: readonly I[],
    results: AcquireResult[],
    giveBack: (taken: I[]) => Promise<unknown>,
  ): Promise<(AcquireResult | LockBackendError)[]> {
    if (!results.some((result) => result.acquired)) return results;
    const acknowledged = await this.#send();
    if (acknowledged >= this.wait.replicas) return results;
    const taken = items.filter((_, i) => results[i]!.acquired);
    await giveBack(taken).catch(() => undefined);
    return results.map((result, i) =>
      result.acquired ? this.#tooFew(items[i]!.key, acknowledged) : result,
    );
  }

  /** For one lease (fair, permit, multi-key): its result, or it is given back and this rejects. */
  async one(
    key: string,
    result: AcquireResult,
    giveBack: () => Promise<unknown>,
  ): Promise<AcquireResult> {
    if (!result.acquired) return result;
    const acknowledged = await this.#send();
    if (acknowledged >= this.wait.replicas) return result;
    await giveBack().catch(() => undefined);
    throw this.#tooFew(key, acknowledged);
  }

  /** Sends WAIT; the number of replicas that acknowledged. */
  async #send(): Promise<number> {
    const call = this.client.call!.bind(this.client);
    const { replicas, timeoutMs } = this.wait;
    // WAIT blocks up to its own timeout: the command timeout starts after it.
    const reply = await withTimeout(
      call('WAIT', replicas, timeoutMs),
      timeoutMs + this.commandTimeoutMs,
    );
    const acknowledged = Number(reply);
    if (!Number.isInteger(acknowledged)) {
      throw new LockBackendError(
        'redis',
        'wait for replicas',
        undefined,
        `WAIT answered ${String(reply)}`,
      );
    }
    return acknowledged;
  }

  #tooFew(key: string, acknowledged: number): LockBackendError {
    const { replicas, timeoutMs } = this.wait;
    return new LockBackendError(
      'redis',
      'acquire',
      key,
      `only ${acknowledged} of ${replicas} replica(s) acknowledged the lock within ${timeoutMs} ms (waitForReplicas); it was released again`,
    );
  }
}

/** Checks `waitForReplicas`: whole numbers, and a client that can send WAIT where the locks are. */
export function resolveReplicaWait(
  value: unknown,
  client: RedisClientLike | undefined,
): ReplicaWaitOptions | undefined {
  if (value === undefined) return undefined;
  const { replicas, timeoutMs } = (value ?? {}) as { replicas?: unknown; timeoutMs?: unknown };
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1) {
    throw new InvalidLockOptionsError(
      'waitForReplicas.replicas',
      `must be a whole number of replicas, 1 or more, got ${String(replicas)}`,
    );
  }
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new InvalidLockOptionsError(
      'waitForReplicas.timeoutMs',
      `must be a positive whole number of ms, got ${String(timeoutMs)}`,
    );
  }
  if (client?.isCluster === true) {
    throw new InvalidLockOptionsError(
      'waitForReplicas',
      'is not available with a Redis Cluster client (WAIT must reach the node that took the lock)',
    );
  }
  if (client && typeof client.call !== 'function') {
    throw new InvalidLockOptionsError('waitForReplicas', 'needs an ioredis client (with call())');
  }
  return { replicas, timeoutMs };
}
