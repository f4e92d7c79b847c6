import { createHash } from 'node:crypto';
import type { Handoff, Unsubscribe } from '../../contract/lock-backend.js';
import { withTimeout } from '../shared/with-timeout.js';
import type { PgListenClientLike } from './pg-client.js';
import { backendError, backendProblem } from './postgres-errors.js';

/** Called on a release of the key, with the hand-off when the lease went to a waiter. */
type Listener = (handoff?: Handoff) => void;

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

const KEY_DIGEST_LENGTH = 32;
/** `md5(key) token expiresAtMs owner`, as `handoffPayload` in `postgres-sql-fragments.ts` writes it. */
const HANDOFF_PAYLOAD = /^([0-9a-f]{32}) (\d+) (\d+) ([\s\S]*)$/;

/** The NOTIFY payload of a key: fixed length, whatever the key holds (NOTIFY allows < 8000 bytes). */
export function releasePayloadOf(key: string): string {
  return createHash('md5').update(key).digest('hex');
}

/**
 * A notification's key digest and, for a fair release that handed the lease on, the hand-off. A
 * payload that is neither (another version's) still wakes the key's waiters, without a hand-off.
 */
function parsePayload(payload: string): { digest: string; handoff: Handoff | undefined } {
  if (payload.length === KEY_DIGEST_LENGTH) return { digest: payload, handoff: undefined };
  const match = HANDOFF_PAYLOAD.exec(payload);
  if (!match) return { digest: payload.slice(0, KEY_DIGEST_LENGTH), handoff: undefined };
  return {
    digest: match[1]!,
    handoff: { owner: match[4]!, fencingToken: BigInt(match[2]!), expiresAt: Number(match[3]) },
  };
}

/**
 * Release notifications of one lease table over one dedicated `LISTEN` connection, opened on the
 * first subscription. Every release of the table arrives on one channel with the md5 of its key as
 * payload, followed by the lease (token, expiry, owner) when a fair release handed it to the head
 * of the key's queue; listeners are kept per key digest and get that {@link Handoff}.
 *
 * When the connection drops (server restart, `pg_terminate_backend`, network), notifications sent
 * meanwhile are lost, so every waiter is woken to re-check at once, and the connection is reopened
 * with backoff (100 ms doubling to 5 s) while anyone still waits; after it is back, every waiter is
 * woken once more. A waiter never depends on a notification alone: it re-checks on its own timer.
 */
export class PostgresWakeups {
  readonly #listeners = new Map<string, Set<Listener>>();
  #client: PgListenClientLike | undefined;
  #ready: Promise<void> | undefined;
  /** The current connection's LISTEN is active: subscribing needs no round trip. */
  #listening = false;
  #retryMs = FIRST_RETRY_MS;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly open: () => PgListenClientLike,
    private readonly listenSql: string,
    private readonly channel: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Whether a waiter of this process listens on `key` now over an active LISTEN: the key is busy,
   * and subscribing to it costs no round trip (see `LockBackend.subscribed`).
   */
  busy(key: string): boolean {
    return (
      this.#listening && this.#listeners.size > 0 && this.#listeners.has(releasePayloadOf(key))
    );
  }

  /**
   * Calls `listener` on every release of `key`; resolves once the LISTEN is active. Rejects with
   * the backend's `LockBackendError` of operation `subscribe` on `key`.
   */
  async subscribe(key: string, listener: Listener): Promise<Unsubscribe> {
    try {
      return await this.#subscribe(key, listener);
    } catch (error) {
      throw backendError('subscribe', key, error);
    }
  }

  async #subscribe(key: string, listener: Listener): Promise<Unsubscribe> {
    if (this.#closed) throw backendProblem('subscribe', 'the backend is closed');
    const payload = releasePayloadOf(key);
    let listeners = this.#listeners.get(payload);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(payload, listeners);
    }
    const own = listeners;
    own.add(listener);
    const unsubscribe = (): void => {
      own.delete(listener);
      if (own.size === 0 && this.#listeners.get(payload) === own) this.#listeners.delete(payload);
    };
    if (this.#listening) return unsubscribe;
    try {
      await withTimeout(this.#connect(), this.timeoutMs);
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#listeners.clear();
    const client = this.#client;
    this.#client = undefined;
    this.#ready = undefined;
    this.#listening = false;
    if (client) await client.end().catch(() => undefined);
  }

  #connect(): Promise<void> {
    if (this.#ready) return this.#ready;
    const client = this.open();
    this.#client = client;
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    client.on('notification', (message) => {
      if (message.channel !== this.channel || message.payload === undefined) return;
      const { digest, handoff } = parsePayload(message.payload);
      const listeners = this.#listeners.get(digest);
      if (listeners) for (const wake of [...listeners]) wake(handoff);
    });
    const ready = client
      .connect()
      .then(() => client.query(this.listenSql))
      .then(() => {
        this.#retryMs = FIRST_RETRY_MS;
        if (this.#client === client) this.#listening = true;
      });
    this.#ready = ready;
    ready.catch(() => this.#lost(client));
    return ready;
  }

  /** The connection `client` failed or ended: forget it, wake everyone, reconnect if needed. */
  #lost(client: PgListenClientLike): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    this.#ready = undefined;
    this.#listening = false;
    client.end().catch(() => undefined);
    if (this.#closed) return;
    this.#wakeAll();
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#retryTimer !== undefined || this.#listeners.size === 0) return;
    const delay = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#closed || this.#listeners.size === 0) return;
      // A failed attempt reaches #lost, which schedules the next one.
      this.#connect().then(
        () => this.#wakeAll(),
        () => undefined,
      );
    }, delay);
    this.#retryTimer.unref();
  }

  #wakeAll(): void {
    for (const listeners of [...this.#listeners.values()]) {
      for (const wake of [...listeners]) wake();
    }
  }
}
