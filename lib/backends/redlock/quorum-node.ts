import { LockBackendError } from '../../contract/errors.js';
import { loadIoredis } from '../redis/load-ioredis.js';
import type { RedisClientLike } from '../redis/redis-client.js';
import type { RedisScript, ScriptCall, ScriptReply } from '../redis/redis-script.js';
import { RedisScriptReplyError } from '../redis/redis-script-reply.error.js';
import { RedisWakeups } from '../redis/redis-wakeups.js';
import { StoreTimeoutError, withTimeout } from '../shared/with-timeout.js';
import type { NodeFailure, NodeFailureReason } from './quorum-outcome.js';
import type { NodeSpec } from './redlock-options.js';

/** ioredis connection states in which a command would only wait in the offline queue. */
const DISCONNECTED = new Set(['reconnecting', 'close', 'end']);

/**
 * ioredis connection states with a live socket to the server: a call that got no answer in one of
 * these met a slow server. In any other state (`connecting` included: a reconnect attempt to a
 * server that is down spends a moment in it) the call only waited for a connection.
 */
const SOCKET_UP = new Set(['ready', 'connect']);

/** Connection-level failures, as ioredis and Node word them. */
const UNREACHABLE =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|Connection is closed|max retries per request|Stream isn't writeable/i;

/** A connection error of its own, for the per-node report. */
class NodeUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeUnreachableError';
  }
}

/** Why a node's vote was not counted, though the node itself did nothing wrong. */
class NodeNotCountedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeNotCountedError';
  }
}

/**
 * One Redis master of the quorum: its connection (owned or lent), its wake-up subscriber, and the
 * way its failures are told apart (unreachable, timed out, or an error answer).
 */
export class QuorumNode {
  readonly label: string;
  readonly client: RedisClientLike;
  readonly wakeups: RedisWakeups;
  readonly #owned: boolean;
  /** The last connection error an owned client reported, to say why the node is unreachable. */
  #lastError: Error | undefined;

  constructor(spec: NodeSpec, index: number) {
    if (spec.kind === 'client') {
      this.client = spec.client;
      this.#owned = false;
    } else {
      this.client = openClient(spec);
      this.#owned = true;
      // Errors reach callers per call; the listener keeps the last one for the report, and stops
      // ioredis printing every reconnect failure.
      const events = this.client as unknown as {
        on(event: 'error' | 'ready', listener: (error?: Error) => void): void;
      };
      events.on('error', (error) => {
        this.#lastError = error;
      });
      events.on('ready', () => {
        this.#lastError = undefined;
      });
    }
    this.label = spec.label || `nodes[${index}]`;
    this.wakeups = new RedisWakeups(() => this.client.duplicate());
  }

  /**
   * Whether a command sent now would go out at once. A node whose connection dropped is skipped
   * rather than queued: ioredis reconnects by itself, and the node takes part again once it is up.
   */
  get connected(): boolean {
    const status = (this.client as { status?: unknown }).status;
    return typeof status !== 'string' || !DISCONNECTED.has(status);
  }

  /**
   * Whether the node has a live connection, so that a call without an answer met a slow server
   * rather than a missing one. Stricter than {@link connected}, which lets a first connection
   * attempt (`connecting`) take calls.
   */
  get #socketUp(): boolean {
    const status = (this.client as { status?: unknown }).status;
    return typeof status !== 'string' || SOCKET_UP.has(status);
  }

  /** Runs `script` with `input` (by its SHA, or by its source after NOSCRIPT) and reads its reply. */
  run<In, Out extends ScriptReply>(script: RedisScript<In, Out>, input: In): Promise<Out> {
    return script.run(this.client, input, 'redlock');
  }

  /**
   * Sends one run of `script` with callbacks for the raw reply: a quorum round sends to every
   * node, and a promise chained onto each call (for the NOSCRIPT fallback, then for the answer)
   * costs more than the callbacks. The round reads the reply with the script's parser.
   */
  send(
    script: { readonly sha: string; readonly source: string },
    { keys, args }: ScriptCall,
    onReply: (reply: unknown) => void,
    onError: (error: unknown) => void,
  ): void {
    const client = this.client;
    client.evalsha(script.sha, keys.length, ...keys, ...args).then(onReply, (error: unknown) => {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) {
        onError(error);
        return;
      }
      client.eval(script.source, keys.length, ...keys, ...args).then(onReply, onError);
    });
  }

  /** Why a call failed: a timeout, a connection failure, or an error answer. */
  failure(error: unknown): NodeFailure {
    const cause =
      error instanceof Error
        ? error
        : new LockBackendError('redlock', `call ${this.label}`, undefined, error);
    if (cause instanceof RedisScriptReplyError) return { reason: 'error', cause };
    if (cause instanceof StoreTimeoutError || /timed? ?out/i.test(cause.message)) {
      // A call sent just before the connection dropped waits for a reconnect until it times out:
      // the node is down, not slow.
      return { reason: this.#socketUp ? 'timeout' : 'unreachable', cause };
    }
    if (UNREACHABLE.test(cause.message) || !this.connected) return { reason: 'unreachable', cause };
    return { reason: 'error', cause };
  }

  /**
   * A node that never answered within `timeoutMs`. The error is made only when a report asks for
   * it: a round decided by a majority leaves the slower nodes silent, and that is no failure.
   */
  silent(timeoutMs: number): NodeFailure {
    if (this.#socketUp) return new LazyFailure('timeout', () => new StoreTimeoutError(timeoutMs));
    return new LazyFailure('unreachable', () => this.#disconnected());
  }

  /**
   * A node the call was sent to, decided by the other nodes before this one answered: the slower
   * nodes of every round a majority decides, so its error too is made only when a report asks.
   */
  unanswered(): NodeFailure {
    return new LazyFailure('unanswered', notAnsweredYet);
  }

  /** A node the call was never sent to: the nodes out of reach had decided it already. */
  notSent(): NodeFailure {
    return new LazyFailure('not-sent', notAsked, true);
  }

  /** The node as unreachable without a call: its connection is down. */
  skipped(): NodeFailure {
    return { reason: 'unreachable', cause: this.#disconnected(), unsent: true };
  }

  /** Closes the subscriber, and the client if the backend opened it. Never rejects. */
  async close(timeoutMs: number): Promise<void> {
    await this.wakeups.close(timeoutMs).catch(() => undefined);
    if (!this.#owned) return;
    const client = this.client;
    if (!this.connected) {
      client.disconnect();
      return;
    }
    await withTimeout(client.quit(), timeoutMs).catch(() => client.disconnect());
  }

  #disconnected(): Error {
    const status = (this.client as { status?: unknown }).status;
    const why = this.#lastError ? `: ${this.#lastError.message}` : '';
    return new NodeUnreachableError(`not connected (${String(status)})${why}`);
  }
}

/**
 * A failure whose error is made on first read, and kept: an error captures a stack trace (about
 * 5 µs), and most failures of a round that was decided are never reported. A class, so that the
 * getter is not a closure made with every failure.
 */
class LazyFailure implements NodeFailure {
  #cause: Error | undefined;

  constructor(
    readonly reason: NodeFailureReason,
    private readonly explain: () => Error,
    readonly unsent?: true,
  ) {}

  get cause(): Error {
    this.#cause ??= this.explain();
    return this.#cause;
  }
}

const notAnsweredYet = (): Error =>
  new NodeNotCountedError('no answer yet when the other nodes decided the call');
const notAsked = (): Error =>
  new NodeNotCountedError('not asked: the nodes out of reach had decided the call');

/** Opens the node's own ioredis connection; ioredis is loaded only when this is needed. */
function openClient(spec: Extract<NodeSpec, { kind: 'owned' }>): RedisClientLike {
  const Redis = loadIoredis('nodes', 'RedlockLockBackend');
  // No commandTimeout: the quorum round has one deadline for all nodes, not a timer per command.
  return spec.url === undefined ? new Redis(spec.connection) : new Redis(spec.url, spec.connection);
}
