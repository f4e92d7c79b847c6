import pg from 'pg';
import type { ReportRun } from './demo-checks.js';

/** Reads what the app wrote to its database, straight from Postgres (not through the app). */
export class ShopDatabase {
  readonly #pool: pg.Pool;

  constructor(databaseUrl: string, schema: string) {
    this.#pool = new pg.Pool({
      connectionString: databaseUrl,
      options: `-c search_path=${schema}`,
      max: 2,
    });
  }

  /** Drops the schema, so the run starts from empty tables. */
  async reset(schema: string): Promise<void> {
    await this.#pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }

  async stock(): Promise<Record<string, number>> {
    const { rows } = await this.#pool.query<{ sku: string; stock: number }>(
      'SELECT sku, stock FROM products ORDER BY sku',
    );
    return Object.fromEntries(rows.map((row) => [row.sku, row.stock]));
  }

  async reportRuns(): Promise<ReportRun[]> {
    const { rows } = await this.#pool.query<{
      instance: string;
      started_at: Date;
      finished_at: Date | null;
    }>('SELECT instance, started_at, finished_at FROM report_runs ORDER BY started_at');
    return rows.map((row) => ({
      instance: row.instance,
      startedAt: row.started_at.getTime(),
      ...(row.finished_at ? { finishedAt: row.finished_at.getTime() } : {}),
    }));
  }

  /** How many rebuilds have written the catalog cache (0 before the first). */
  async catalogRebuilds(): Promise<number> {
    const { rows } = await this.#pool.query<{ rebuilds: number }>(
      'SELECT rebuilds FROM catalog_cache WHERE id = 1',
    );
    return rows[0]?.rebuilds ?? 0;
  }

  async balances(): Promise<Record<string, number>> {
    const { rows } = await this.#pool.query<{ id: string; balance: number }>(
      'SELECT id, balance FROM accounts ORDER BY id',
    );
    return Object.fromEntries(rows.map((row) => [row.id, row.balance]));
  }

  close(): Promise<void> {
    return this.#pool.end();
  }
}
