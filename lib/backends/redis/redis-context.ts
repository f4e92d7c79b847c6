import { asBackendError, LockBackendError } from '../../contract/errors.js';
import type { AcquireResult } from '../../contract/lease.js';
import type { Deadlines } from '../shared/deadlines.js';
import { withTimeout } from '../shared/with-timeout.js';
import { bySlot } from './cluster-slot.js';
import type { RedisClientLike } from './redis-client.js';
import { lockKeyOf, releaseChannelOf } from './redis-keys.js';
import { DEFAULT_COMMAND_TIMEOUT_MS } from './redis-options.js';
import type { RedisReplicaWait } from './redis-replica-wait.js';
import type { RedisScript, ScriptReply } from './redis-script.js';
import { checkRedisServer } from './redis-server-check.js';
import type { RedisWakeups } from './redis-wakeups.js';
import type { SleeperArgument } from './scripts/wake-one.lua.js';

/** Locks per script run: keeps every script short, so it never blocks Redis for long. */
export const MAX_BATCH = 128;

/** What `RedisContext` is made of: the backend's connection and settings. */
export interface RedisContextParts {
  readonly client: RedisClientLike;
  /** The bound on each call, `undefined` when the client has a command timeout of its own. */
  readonly timeoutMs: number | undefined;
  readonly deadlines: Deadlines;
  readonly fenceRetentionMs: number;
  readonly wakeups: RedisWakeups;
  /** On a Cluster: the master of a key's slot (see `LockBackend.partitionOf`). */
  readonly partitionOf: ((key: string) => string | number) | undefined;
  readonly replicas: RedisReplicaWait | undefined;
  readonly onWarning: ((message: string) => void) | false;
}

/**
 * What the mutex and each capability of `RedisLockBackend` share: running a script with the
 * timeout, splitting calls per hash slot on a Cluster, wrapping failures as the backend's errors,
 * the fair inbox, `waitForReplicas`, and the one check of the server's settings.
 */
export class RedisContext {
  readonly backend = 'redis';
  readonly client: RedisClientLike;
  readonly fenceRetentionMs: number;
  readonly partitionOf: ((key: string) => string | number) | undefined;
  readonly #parts: RedisContextParts;
  #checked = false;
  #closed = false;

  constructor(parts: RedisContextParts) {
    this.#parts = parts;
    this.client = parts.client;
    this.fenceRetentionMs = parts.fenceRetentionMs;
    this.partitionOf = parts.partitionOf;
  }

  /** A cluster client: a script may only touch keys of one hash slot, so batches split by slot. */
  get cluster(): boolean {
    return this.partitionOf !== undefined;
  }

  /** The bound on calls that are not scripts (subscribing, WAIT, closing). */
  get boundMs(): number {
    return this.#parts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  }

  /** The bound on each call, `undefined` when the client bounds its own calls. */
  get timeoutMs(): number | undefined {
    return this.#parts.timeoutMs;
  }

  get wakeups(): RedisWakeups {
    return this.#parts.wakeups;
  }

  /** Runs `script` with `input`, within the command timeout, and reads its reply. */
  run<In, Out extends ScriptReply>(script: RedisScript<In, Out>, input: In): Promise<Out> {
    const call = script.run(this.client, input, this.backend);
    const { timeoutMs, deadlines } = this.#parts;
    return timeoutMs === undefined ? call : deadlines.bound(call, timeoutMs);
  }

  /** `call` within the command timeout, for the calls that are not scripts (SCAN, TIME). */
  bound<T>(call: Promise<T>): Promise<T> {
    const { timeoutMs, deadlines } = this.#parts;
    return timeoutMs === undefined ? call : deadlines.bound(call, timeoutMs);
  }

  /**
   * Runs `run` on all of `items`, or once per hash slot on a cluster, where the items of a slot
   * that failed get that slot's `LockBackendError` and the others their answers.
   */
  perSlot<I extends { readonly key: string }, R>(
    items: I[],
    run: (group: I[]) => Promise<R[]>,
    operation: string,
  ): Promise<(R | LockBackendError)[]> {
    const partitionOf = this.partitionOf;
    if (!partitionOf) return run(items);
    // An extend's failed slots share one error per master, so that renewal reports a stopped
    // master once with all its keys, not once per slot. An acquire or release keeps its key in
    // its own error, since that is what its caller sees.
    let perMaster: Map<string | number, LockBackendError> | undefined;
    return bySlot<I, R | LockBackendError>(
      items,
      (item) => lockKeyOf(item.key),
      run,
      (error, group) => {
        const key = group.length === 1 ? group[0]!.key : undefined;
        if (operation !== 'extend') return this.error(operation, key, error);
        const master = partitionOf(group[0]!.key);
        let failure = perMaster?.get(master);
        if (!failure) {
          failure = this.error(operation, items.length === 1 ? key : undefined, error);
          perMaster ??= new Map();
          perMaster.set(master, failure);
        }
        return failure;
      },
    );
  }

  /** A failure of `operation` on `key` (or several keys: `undefined`) as the backend's error. */
  error(operation: string, key: string | undefined, error: unknown): LockBackendError {
    return asBackendError(this.backend, operation, key, error);
  }

  /**
   * What an acquire attempt on `key` passes as this process's sleeper registration: the inbox
   * while a local waiter listens on the key, else `''` (see `RedisWakeups.sleeper`).
   */
  sleeper(key: string): SleeperArgument {
    return this.waitingSleeper(key) ?? '';
  }

  /**
   * {@link sleeper}, or `undefined` while this process has not waited on `key` lately (its
   * channel is not subscribed): a plain acquire then passes the lock without its waiters' keys.
   */
  waitingSleeper(key: string): SleeperArgument | undefined {
    const wakeups = this.#parts.wakeups;
    return wakeups.listening ? wakeups.sleeper(releaseChannelOf(lockKeyOf(key))) : undefined;
  }

  /**
   * Whether this process has waited on `key` lately (see `RedisWakeups.watches`): its release
   * then passes the keys of the lock's waiters at once instead of after a `WAITED_ON` answer.
   */
  watches(key: string): boolean {
    const wakeups = this.#parts.wakeups;
    return wakeups.listening && wakeups.watches(releaseChannelOf(lockKeyOf(key)));
  }

  /** Wakes this process's own waiters on `key`, which this process just released. */
  wakeLocal(key: string): void {
    const wakeups = this.#parts.wakeups;
    if (wakeups.listening) wakeups.wakeLocal(releaseChannelOf(lockKeyOf(key)));
  }

  /** The channel fair hand-offs to this process go to ('' for the key's own channel). */
  inbox(): Promise<string> {
    return this.#parts.wakeups.inbox(this.boundMs);
  }

  /**
   * `waitForReplicas` after one lease was taken (fair, permit, multi-key): the result once enough
   * replicas have it; otherwise `giveBack` runs and this rejects.
   */
  replicated(
    key: string,
    result: AcquireResult,
    giveBack: () => Promise<unknown>,
  ): Promise<AcquireResult> | AcquireResult {
    const replicas = this.#parts.replicas;
    return replicas ? replicas.one(key, result, giveBack) : result;
  }

  /**
   * `waitForReplicas` for a batch of plain acquires (see `RedisReplicaWait.batch`); without it,
   * `taken` as it is, with no step of its own on the path of every acquire.
   */
  replicatedBatch<I extends { readonly key: string }>(
    items: readonly I[],
    taken: Promise<AcquireResult[]>,
    giveBack: (given: I[]) => Promise<unknown>,
  ): Promise<(AcquireResult | LockBackendError)[]> {
    const replicas = this.#parts.replicas;
    if (!replicas) return taken;
    return taken.then((results) => replicas.batch(items, results, giveBack));
  }

  /** Reads the server's settings once, in the background, and warns if they can lose locks. */
  checkServerOnce(): void {
    const warn = this.#parts.onWarning;
    if (this.#checked || warn === false) return;
    this.#checked = true;
    const timeout = <T>(call: Promise<T>): Promise<T> => withTimeout(call, this.boundMs);
    void checkRedisServer(this.client, timeout).then((warning) => {
      if (warning !== undefined && !this.#closed) warn(warning);
    });
  }

  /** Stops warnings from the background check (the backend closed). */
  close(): void {
    this.#closed = true;
  }
}
