import { Deadlines } from '../shared/deadlines.js';
import { StoreTimeoutError } from '../shared/with-timeout.js';
import type { ZkClientLike, ZkEventLike, ZkModuleLike, ZkStatLike } from './zookeeper-client.js';
import {
  SessionExpiredError,
  ZK_NO_NODE,
  ZK_SESSION_EXPIRED,
  ZooKeeperCallError,
  zkCode,
} from './zookeeper-errors.js';
import { InFlightCalls } from './zookeeper-in-flight.js';
import { type MultiOp, type MultiResult, sendMulti } from './zookeeper-transaction.js';

/** A node's data and stat, as `getData` answers. */
export interface DataAndStat {
  readonly data: Buffer | undefined;
  readonly stat: ZkStatLike;
}

/** How a session is opened. */
export interface SessionSettings {
  readonly connectionString: string | undefined;
  readonly sessionTimeoutMs: number;
  readonly commandTimeoutMs: number;
  /** The client passed in: used as it is, never closed nor replaced. */
  readonly client: ZkClientLike | undefined;
}

/** How long the client waits before it tries the servers of the list again, in ms. */
const SPIN_DELAY_MS = 100;

/**
 * The backend's ZooKeeper session: one client, its calls as promises bounded by the command
 * timeout (while disconnected the client queues calls, so without a bound a lost quorum would
 * hang them), and a new session when the old one expired (`node-zookeeper-client` does not open
 * one by itself). An expired session's ephemeral nodes, and with them its leases, are gone: the
 * calls made after it find no node of theirs, so their extends answer `undefined`.
 *
 * A call that failed because the session expired under it is made once more on the new session.
 */
export class ZooKeeperSession {
  readonly #deadlines = new Deadlines();
  readonly #timeoutMs: number;
  readonly #open: (() => ZkClientLike) | undefined;
  readonly #onNewSession = new Set<() => void>();
  /** The calls in flight on each client, failed at once when its session expires. */
  readonly #inFlight = new InFlightCalls<ZkClientLike>();
  #client: ZkClientLike;
  #connected = false;
  /** The session timeout the servers granted at the last connect, in ms. */
  #granted: number | undefined;
  /** The client passed in lost its session for good (the backend cannot replace it). */
  #expired = false;
  #closed = false;

  constructor(settings: SessionSettings, load: () => ZkModuleLike) {
    this.#timeoutMs = settings.commandTimeoutMs;
    if (settings.client) {
      this.#client = settings.client;
      this.#open = undefined;
      this.#watchExpiry(settings.client);
    } else {
      const connectionString = settings.connectionString!;
      const zookeeper = load();
      this.#open = () =>
        zookeeper.createClient(connectionString, {
          sessionTimeout: settings.sessionTimeoutMs,
          spinDelay: SPIN_DELAY_MS,
          retries: 0,
        });
      this.#client = this.#connect();
    }
  }

  /** The client of the current session. */
  get client(): ZkClientLike {
    return this.#client;
  }

  /** The session timeout the servers granted, in ms, once connected (they may lower the one asked). */
  get grantedTimeoutMs(): number | undefined {
    return this.#granted;
  }

  /** Calls `listener` each time a new session replaces an expired one (its watches are gone). */
  onNewSession(listener: () => void): () => void {
    this.#onNewSession.add(listener);
    return () => this.#onNewSession.delete(listener);
  }

  create(path: string, data: Buffer, mode: number): Promise<string> {
    return this.#call(
      'create',
      path,
      (client, done) => {
        client.create(path, data, mode, done);
      },
      (created: string) => {
        // The create landed after its caller gave up: remove the node, or it would hold a place.
        this.#client.remove(created, -1, () => undefined);
      },
    );
  }

  remove(path: string, version: number): Promise<void> {
    return this.#call('remove', path, (client, done) => {
      client.remove(path, version, (error) => done(error, undefined));
    });
  }

  getChildren(path: string): Promise<string[]> {
    return this.#call('getChildren', path, (client, done) => client.getChildren(path, done));
  }

  getData(path: string): Promise<DataAndStat> {
    return this.#call('getData', path, (client, done) =>
      client.getData(path, (error, data, stat) => done(error, { data, stat })),
    );
  }

  setData(path: string, data: Buffer, version: number): Promise<ZkStatLike> {
    return this.#call('setData', path, (client, done) => client.setData(path, data, version, done));
  }

  /**
   * Leaves a watch on the node (fired when it is deleted or written); `false` when it is missing,
   * which leaves none. A data watch, not an exists-watch: an exists-watch on a missing node would
   * wait for its creation, which never comes for a sequential node.
   */
  async watch(path: string, watcher: (event: ZkEventLike) => void): Promise<boolean> {
    try {
      await this.#call('getData', path, (client, done) =>
        client.getData(path, watcher, (error) => done(error, undefined)),
      );
      return true;
    } catch (error) {
      if (zkCode(error) === ZK_NO_NODE) return false;
      throw error;
    }
  }

  /**
   * Runs `ops` as one transaction: all or none, one zxid (every node it creates has the same
   * `czxid`). Rejects with the error of the first operation that failed.
   */
  multi(ops: readonly MultiOp[]): Promise<MultiResult[]> {
    return this.#call(
      'multi',
      ops[0]?.path ?? '',
      (client, done) => sendMulti(client, ops, done),
      (results: MultiResult[]) => {
        // The transaction landed after its caller gave up: remove the nodes it created.
        for (const result of results) {
          if (result.path !== undefined) this.#client.remove(result.path, -1, () => undefined);
        }
      },
    );
  }

  mkdirp(path: string): Promise<string> {
    return this.#call('mkdirp', path, (client, done) => client.mkdirp(path, done));
  }

  /**
   * Closes the session if the backend opened it. A client still connecting is first given the
   * command timeout to connect: `node-zookeeper-client` closed while it connects reads the
   * server's connect answer as the reply to its close and throws from its socket handler (an
   * uncaught "Unknown code"). One that does not connect by then has its socket dropped.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#open) return;
    const client = this.#client;
    if (!this.#connected) {
      let onConnected = (): void => undefined;
      const connected = new Promise<void>((resolve) => {
        onConnected = () => resolve();
        client.on('connected', onConnected);
      });
      await this.#deadlines.bound(connected, this.#timeoutMs).catch(() => undefined);
      client.removeListener('connected', onConnected);
    }
    client.close();
    if (!this.#connected) dropSocket(client);
  }

  #connect(): ZkClientLike {
    const client = this.#open!();
    this.#connected = false;
    client.on('connected', () => {
      if (this.#client !== client) return;
      this.#connected = true;
      const granted = client.getSessionTimeout();
      if (granted > 0) this.#granted = granted;
    });
    client.on('disconnected', () => {
      if (this.#client === client) this.#connected = false;
    });
    this.#watchExpiry(client);
    client.connect();
    return client;
  }

  #watchExpiry(client: ZkClientLike): void {
    client.on('expired', () => {
      // Calls the client still queues would wait for a server forever: they fail now, and
      // #call makes them again on the new session.
      const calls = this.#inFlight.takeAll(client);
      if (this.#open && !this.#closed && this.#client === client) {
        // The expired client closes by itself; a new one takes over.
        this.#client = this.#connect();
        for (const listener of this.#onNewSession) listener();
      } else if (this.#client === client) {
        this.#expired = true;
      }
      for (const fail of calls) fail(new SessionExpiredError());
    });
  }

  async #call<T>(
    name: string,
    path: string,
    send: (client: ZkClientLike, done: (error: unknown, value: T) => void) => void,
    onLateAnswer?: (value: T) => void,
  ): Promise<T> {
    const client = this.#client;
    if (this.#expired) {
      // An expired client answers every call with a connection loss: say what it is.
      throw new ZooKeeperCallError(name, path, ZK_SESSION_EXPIRED, new SessionExpiredError());
    }
    try {
      return await this.#bounded(client, send, onLateAnswer);
    } catch (error) {
      if (zkCode(error) === ZK_SESSION_EXPIRED && this.#client !== client && !this.#closed) {
        try {
          return await this.#bounded(this.#client, send, onLateAnswer);
        } catch (again) {
          throw new ZooKeeperCallError(name, path, zkCode(again), again);
        }
      }
      throw new ZooKeeperCallError(name, path, zkCode(error), error);
    }
  }

  #bounded<T>(
    client: ZkClientLike,
    send: (client: ZkClientLike, done: (error: unknown, value: T) => void) => void,
    onLateAnswer: ((value: T) => void) | undefined,
  ): Promise<T> {
    const call = this.#inFlight.track<T>(client, (done) => send(client, done));
    const bounded = this.#deadlines.bound(call, this.#timeoutMs);
    if (!onLateAnswer) return bounded;
    return bounded.catch((error: unknown) => {
      if (error instanceof StoreTimeoutError) call.then(onLateAnswer, () => undefined);
      throw error;
    });
  }
}

/**
 * Drops a client's socket, through the client's internals when they are there: a client closed
 * while it connects must not read the server's answer (see `ZooKeeperSession.close`).
 */
function dropSocket(client: ZkClientLike): void {
  const internals = client as { connectionManager?: { socket?: { destroy?: () => void } } };
  internals.connectionManager?.socket?.destroy?.();
}
