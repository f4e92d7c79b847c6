import type { PgSessionClientLike } from './pg-client.js';
import { backendProblem } from './postgres-errors.js';
import type { Statement } from './postgres-statement.js';

/**
 * Postgres error classes that leave the session as it was: the statement failed, the connection
 * and every advisory lock on it stand (22 data exception, 23 integrity, 42 syntax or access, 40
 * serialization, 53 resources, 54 limits, 55 object state, P0 PL/pgSQL).
 */
const STATEMENT_ERROR_CLASSES = new Set(['22', '23', '40', '42', '53', '54', '55', 'P0']);

/** Whether `error` is a statement's failure that left the session standing. */
function leftSessionStanding(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && code.length === 5 && STATEMENT_ERROR_CLASSES.has(code.slice(0, 2))
  );
}

/**
 * The one connection of a process on which `PostgresAdvisoryLockBackend` holds its advisory locks:
 * opened on first use, and again on the first use after it ended. Its locks live exactly as long
 * as it does: the server frees them all when it ends, whatever ended it.
 *
 * A statement whose outcome is unknown (timed out, or the connection broke under it) may have
 * taken or kept a lock the process no longer knows of; the session is then ended on purpose, so
 * that the server frees everything it held rather than keep a lock nobody will release. Each end
 * of a session is reported once to {@link onEnd}, with the generation that ended; statements that
 * fail without touching the session (an SQL error) only reject.
 *
 * @example
 * ```ts
 * const session = new AdvisorySession(() => new pg.Client(config), 'nestjs_locker_1a2b');
 * session.onEnd = (generation) => dropHoldsOf(generation);
 * const rows = await session.run(sql.acquire, [keys, owners, ttls, seed]);
 * ```
 */
export class AdvisorySession {
  /** Called once each time a session that was opened ends. Must not throw. */
  onEnd: (generation: number) => void = () => undefined;
  #client: PgSessionClientLike | undefined;
  #ready: Promise<PgSessionClientLike> | undefined;
  /** The session's client once connected: a statement then starts without awaiting `#ready`. */
  #connected: PgSessionClientLike | undefined;
  #generation = 0;
  #closed = false;

  constructor(
    private readonly open: () => PgSessionClientLike,
    /** Prefixes the prepared statements' names, per lease table. */
    private readonly statementPrefix: string,
  ) {}

  /**
   * The generation of the session statements run on now: it grows by one with every session
   * opened, so a hold taken in an earlier one is known to be gone.
   */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Runs `statement` on the session (opening one if there is none) and resolves with its rows and
   * the generation of the session it ran on.
   */
  async run<Values extends readonly unknown[], Row>(
    statement: Statement<Values, Row>,
    values: Values,
  ): Promise<{ rows: Row[]; generation: number }> {
    const client = this.#connected ?? (await (this.#ready ?? this.#connect()));
    const generation = this.#generation;
    let result: { rows: unknown[] };
    try {
      result = await client.query<unknown>({
        name: `${this.statementPrefix}_${statement.name}`,
        text: statement.text,
        values,
      });
    } catch (error) {
      if (!leftSessionStanding(error)) this.#end(client);
      throw error;
    }
    return { rows: statement.check(result.rows), generation };
  }

  /** Ends the session (its locks are freed by the server); a later `run` opens none. */
  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    if (client) this.#end(client);
    await client?.end().catch(() => undefined);
  }

  #connect(): Promise<PgSessionClientLike> {
    if (this.#closed) return Promise.reject(backendProblem('connect', 'the backend is closed'));
    const client = this.open();
    this.#client = client;
    this.#generation++;
    client.on('error', () => this.#end(client));
    client.on('end', () => this.#end(client));
    const ready = client.connect().then(() => {
      if (this.#client === client) this.#connected = client;
      return client;
    });
    this.#ready = ready;
    ready.catch(() => this.#end(client));
    return ready;
  }

  /** The session of `client` is over (or must be): forget it, end it, report it once. */
  #end(client: PgSessionClientLike): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    this.#ready = undefined;
    this.#connected = undefined;
    client.end().catch(() => undefined);
    this.onEnd(this.#generation);
  }
}
