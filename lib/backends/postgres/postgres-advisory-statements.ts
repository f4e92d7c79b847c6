import type { LeaseToExtend } from '../../contract/lease.js';
import type { PgConnectionConfig, PgSessionClientLike } from './pg-client.js';
import type { AdvisorySql } from './postgres-advisory.sql.js';
import { SessionQueue } from './postgres-advisory-queue.js';
import { AdvisorySession } from './postgres-advisory-session.js';
import { listenClientConfig, loadPg } from './postgres-options.js';

/** An acquire of a batch. */
export interface AdvisoryAcquireItem {
  readonly key: string;
  readonly owner: string;
  readonly ttlMs: number;
}

/** A key to unlock: one this process held. */
export interface AdvisoryReleaseItem {
  readonly key: string;
}

/** The answer of one acquire: the lease and the session generation it was taken in, or a miss. */
export type AdvisoryAcquireAnswer =
  | { readonly acquired: true; token: bigint; expiresAt: number; generation: number }
  | { readonly acquired: false };

/**
 * The answer of one extend: the row's new expiry (`undefined` when the session holds no row of
 * that owner), the session generation it ran in, and when it was sent (`performance.now()`).
 */
export interface AdvisoryExtendAnswer {
  readonly expiresAt: number | undefined;
  readonly generation: number;
  readonly sentAt: number;
}

const MISSED = { acquired: false } as const;

/**
 * The statements of the advisory mode on the session that holds the locks: each call joins the
 * batch of its kind ({@link SessionQueue}: releases, then extends, then acquires, one statement
 * each per round trip); a lone acquire or release runs the statement without arrays.
 *
 * @example
 * ```ts
 * const statements = new AdvisoryStatements(session, advisorySql(names), seed, names.channel);
 * const answer = await statements.acquire({ key, owner, ttlMs });
 * ```
 */
export class AdvisoryStatements {
  readonly #acquires;
  readonly #extends;
  readonly #releases;

  constructor(
    readonly session: AdvisorySession,
    private readonly sql: AdvisorySql,
    private readonly seed: string,
    private readonly channel: string,
  ) {
    const queue = new SessionQueue();
    this.#releases = queue.kind<readonly AdvisoryReleaseItem[], undefined>((batches) =>
      this.#runReleases(batches),
    );
    this.#extends = queue.kind<LeaseToExtend, AdvisoryExtendAnswer>((items) =>
      this.#runExtends(items),
    );
    this.#acquires = queue.kind<AdvisoryAcquireItem, AdvisoryAcquireAnswer>((items) =>
      this.#runAcquires(items),
    );
  }

  acquire(item: AdvisoryAcquireItem): Promise<AdvisoryAcquireAnswer> {
    return this.#acquires.add(item);
  }

  extend(lease: LeaseToExtend): Promise<AdvisoryExtendAnswer> {
    return this.#extends.add(lease);
  }

  /** Unlocks `items` (and NOTIFYs their waiters); a failure has ended the session. */
  async release(items: readonly AdvisoryReleaseItem[]): Promise<void> {
    await this.#releases.add(items);
  }

  async #runAcquires(items: readonly AdvisoryAcquireItem[]): Promise<AdvisoryAcquireAnswer[]> {
    const { sql, seed } = this;
    const lone = items.length === 1 ? items[0]! : undefined;
    const { rows, generation } = lone
      ? await this.session.run(sql.acquireOne, [lone.key, lone.owner, lone.ttlMs, seed])
      : await this.session.run(sql.acquire, [
          items.map((item) => item.key),
          items.map((item) => item.owner),
          items.map((item) => item.ttlMs),
          seed,
        ]);
    const taken = new Map(rows.map((row) => [row.key, row]));
    return items.map((item): AdvisoryAcquireAnswer => {
      const row = taken.get(item.key);
      return row
        ? { acquired: true, token: BigInt(row.token), expiresAt: row.ms, generation }
        : MISSED;
    });
  }

  async #runExtends(items: readonly LeaseToExtend[]): Promise<AdvisoryExtendAnswer[]> {
    const sentAt = performance.now();
    const { rows, generation } = await this.session.run(this.sql.extend, [
      items.map((item) => item.key),
      items.map((item) => item.owner),
      items.map((item) => item.ttlMs),
    ]);
    const extended = new Map(rows.map((row) => [`${row.owner}\u0000${row.key}`, row.ms]));
    return items.map((item) => ({
      expiresAt: extended.get(`${item.owner}\u0000${item.key}`),
      generation,
      sentAt,
    }));
  }

  async #runReleases(batches: readonly (readonly AdvisoryReleaseItem[])[]): Promise<undefined[]> {
    const keys = batches.flatMap((batch) => batch.map((item) => item.key));
    if (keys.length === 1) {
      await this.session.run(this.sql.releaseOne, [keys[0]!, this.seed, this.channel]);
    } else {
      await this.session.run(this.sql.release, [keys, this.seed, this.channel]);
    }
    return batches.map(() => undefined);
  }
}

/**
 * The session of a backend: a `pg.Client` with the pool's settings (`connection`), the command
 * timeout as its query timeout, and generic plans (the batched statements take arrays, whose
 * custom plans cost more to make than they save).
 */
export function advisorySession(
  connection: PgConnectionConfig,
  commandTimeoutMs: number,
  statementPrefix: string,
): AdvisorySession {
  const base = listenClientConfig(true, connection, commandTimeoutMs);
  const config = {
    ...base,
    query_timeout: commandTimeoutMs,
    options: [base.options, '-c plan_cache_mode=force_generic_plan'].filter(Boolean).join(' '),
  };
  return new AdvisorySession(
    () => new (loadPg().Client)(config) as PgSessionClientLike,
    statementPrefix,
  );
}
