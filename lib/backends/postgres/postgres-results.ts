import type { SharedOutcome, SharedResults } from '../../contract/shared-results.js';
import type { PostgresContext } from './postgres-context.js';
import { type ResultsSql, resultsSql } from './postgres-results.sql.js';

/**
 * Outcomes of shared runs on Postgres: a row per key, stored only under the key's live mutex
 * lease, checked in the same statement (see `postgres-results.sql.ts`); ages by the store's clock.
 *
 * @example
 * ```ts
 * if (await backend.results.put('locker:catalog', owner, '{"ok":true,"value":42}', 60_000)) {
 *   await backend.release('locker:catalog', owner);
 * }
 * const outcome = await backend.results.get('locker:catalog'); // { value, ageMs: 3 }
 * ```
 */
export class PostgresResults implements SharedResults {
  readonly #sql: ResultsSql;

  constructor(private readonly context: PostgresContext) {
    this.#sql = resultsSql(context.names);
  }

  put(key: string, owner: string, value: string, ttlMs: number): Promise<boolean> {
    return this.context.attempt('store the shared outcome of', key, async () => {
      const [row] = await this.context.run(this.#sql.put, [key, owner, value, ttlMs]);
      return row?.stored === true;
    });
  }

  get(key: string): Promise<SharedOutcome | null> {
    return this.context.attempt('read the shared outcome of', key, async () => {
      const [row] = await this.context.run(this.#sql.get, [key]);
      return row ? { value: row.value, ageMs: row.age_ms } : null;
    });
  }
}
