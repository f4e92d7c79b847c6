import type { WaitCycleMember, WaitGraph, WaitRecord } from '../../contract/wait-graph.js';
import type { PostgresContext } from './postgres-context.js';
import { type WaitGraphSql, waitGraphSql } from './postgres-wait-graph.sql.js';

/**
 * The waits-for graph on Postgres: a row per wait, and a publish that upserts it and searches the
 * cycles through it in one statement, over one snapshot (see `postgres-wait-graph.sql.ts`).
 *
 * @example
 * ```ts
 * const cycles = await backend.waits.publish(
 *   { id: waitOwner, holds: [ownerOfA], keys: ['locker:account:B'] }, 3_000, 8,
 * );
 * await backend.waits.withdraw(waitOwner);
 * ```
 */
export class PostgresWaitGraph implements WaitGraph {
  readonly #sql: WaitGraphSql;

  constructor(private readonly context: PostgresContext) {
    this.#sql = waitGraphSql(context.names);
  }

  publish(record: WaitRecord, ttlMs: number, maxLength: number): Promise<WaitCycleMember[][]> {
    return this.context.attempt('publish a wait for', record.keys.join(', '), async () => {
      const rows = await this.context.run(this.#sql.publish, [
        record.id,
        record.holds,
        record.keys,
        ttlMs,
        Math.floor(maxLength),
      ]);
      const cycles = new Map<number, WaitCycleMember[]>();
      for (const { cycle, id, keys, since } of rows) {
        let members = cycles.get(cycle);
        if (!members) {
          members = [];
          cycles.set(cycle, members);
        }
        members.push({ id, keys, since });
      }
      return [...cycles.values()];
    });
  }

  withdraw(id: string): Promise<void> {
    return this.context.attempt('withdraw the wait', undefined, async () => {
      await this.context.run(this.#sql.withdraw, [id]);
    });
  }
}
