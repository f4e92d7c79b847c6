import { asBackendError, LockBackendError } from '../../contract/errors.js';
import type {
  AcquireResult,
  ExtendResult,
  LeaseInfo,
  LeaseToExtend,
  LockBackend,
  Unsubscribe,
} from '../../contract/lock-backend.js';
import type { LockDirectory } from '../../contract/lock-directory.js';
import { lockKeyOf, releaseChannelOf } from '../redis/redis-keys.js';
import { checkRedisServer } from '../redis/redis-server-check.js';
import { Deadlines } from '../shared/deadlines.js';
import { emitWarningOnce } from '../shared/emit-warning-once.js';
import { TickBatcher } from '../shared/tick-batcher.js';
import { withTimeout } from '../shared/with-timeout.js';
import { type AcquireRequest, QuorumAcquire } from './quorum-acquire.js';
import { MAX_BATCH, type QuorumContext } from './quorum-context.js';
import { quorumExtendAll } from './quorum-extend.js';
import { quorumInspect } from './quorum-inspect.js';
import { QuorumNode } from './quorum-node.js';
import { quorumOf } from './quorum-outcome.js';
import { quorumRelease, type ReleaseRequest } from './quorum-release.js';
import { quorumSubscribe } from './quorum-wakeups.js';
import { RedlockDirectory } from './redlock-directory.js';
import { type RedlockLockBackendOptions, resolveRedlockOptions } from './redlock-options.js';
import { RedlockQuorumError } from './redlock-quorum.error.js';

/**
 * Locks on a quorum of independent Redis masters: the Redlock algorithm, with the single-node
 * backend's key layout and scripts on each node.
 *
 * - **acquire** runs on every node at once; the lock is granted when a majority granted it within
 *   its validity (`ttl − elapsed − drift`). Otherwise it is released again on every node that may
 *   have granted it, and the result is a miss (another owner holds a majority: `retryAfterMs` is
 *   when it stops) or a {@link RedlockQuorumError} (too few nodes answered). Contenders that split
 *   the votes so that none has a majority back off a few ms and try again.
 * - **extend** and **release** need a majority too; release is sent to every node.
 * - **fencing token**: the highest of the majority's tokens, adopted by the majority's other nodes
 *   before the lease is handed out. Strictly increasing as long as a majority keeps its data: see
 *   the README's "Redlock quorum" section for exactly when.
 * - A node that is down or stalled costs nothing while a majority answers: each call waits at
 *   most `commandTimeoutMs` for it, and a node whose connection dropped is skipped until ioredis
 *   has reconnected it.
 *
 * @example
 * ```ts
 * new RedlockLockBackend({
 *   nodes: ['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379', 'redis://10.0.0.3:6379'],
 * });
 * new RedlockLockBackend({ nodes: [redisA, redisB, redisC] }); // your ioredis clients; you close them
 * ```
 */
export class RedlockLockBackend implements LockBackend {
  readonly name = 'redlock';
  /**
   * Listing of the leases a majority of the nodes holds under a prefix, and instance records kept
   * by a majority; offered when every node's client takes any command (`call`), as ioredis does.
   */
  readonly directory?: LockDirectory;
  readonly #context: QuorumContext;
  readonly #acquire: QuorumAcquire;
  readonly #acquires = new TickBatcher<AcquireRequest, AcquireResult>(
    (items) => this.#acquire.acquire(items),
    MAX_BATCH,
  );
  readonly #releases = new TickBatcher<ReleaseRequest, boolean>(
    (items) => quorumRelease(this.#context, items),
    MAX_BATCH,
  );
  readonly #onWarning: ((message: string) => void) | false;
  #checked = false;
  #closed = false;

  constructor(options: RedlockLockBackendOptions) {
    const resolved = resolveRedlockOptions(options, emitWarningOnce);
    const nodes = resolved.nodes.map((spec, i) => new QuorumNode(spec, i));
    this.#context = {
      nodes,
      quorum: quorumOf(nodes.length),
      commandTimeoutMs: resolved.commandTimeoutMs,
      clockDriftFactor: resolved.clockDriftFactor,
      fenceRetentionMs: resolved.fenceRetentionMs,
      deadlines: new Deadlines(),
    };
    this.#acquire = new QuorumAcquire(this.#context);
    this.directory = RedlockDirectory.of(this.#context);
    this.#onWarning = resolved.onWarning;
  }

  /** How many nodes make a majority. */
  get quorum(): number {
    return this.#context.quorum;
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<AcquireResult> {
    this.#checkServersOnce();
    // A key the round could not decide rejects alone (its RedlockQuorumError), not its batch.
    return this.#acquires.add({ key, owner, ttlMs }).catch((error: unknown) => {
      throw this.#error('acquire', key, error);
    });
  }

  async extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    this.#checkServersOnce();
    return quorumExtendAll(this.#context, leases);
  }

  async release(key: string, owner: string): Promise<boolean> {
    return this.#releases.add({ key, owner }).catch((error: unknown) => {
      throw this.#error('release', key, error);
    });
  }

  async inspect(key: string): Promise<LeaseInfo | null> {
    this.#checkServersOnce();
    try {
      return await quorumInspect(this.#context, key);
    } catch (error) {
      throw this.#error('inspect', key, error);
    }
  }

  subscribe(key: string, onRelease: () => void): Promise<Unsubscribe> {
    return quorumSubscribe(this.#context, key, releaseChannelOf(lockKeyOf(key)), onRelease);
  }

  /** Closes the subscribers, and the connections the backend opened; clients you gave stay open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(
      this.#context.nodes.map((node) => node.close(this.#context.commandTimeoutMs)),
    );
  }

  /** Reads every node's settings once, in the background, and warns of those that can lose locks. */
  #checkServersOnce(): void {
    if (this.#checked || this.#onWarning === false) return;
    this.#checked = true;
    const warn = this.#onWarning;
    const timeout = <T>(call: Promise<T>): Promise<T> =>
      withTimeout(call, this.#context.commandTimeoutMs);
    for (const node of this.#context.nodes) {
      void checkRedisServer(node.client, timeout).then((warning) => {
        if (warning !== undefined && !this.#closed) warn(warning);
      });
    }
  }

  #error(operation: string, key: string | undefined, error: unknown): LockBackendError {
    return asBackendError(this.name, operation, key, error);
  }
}
