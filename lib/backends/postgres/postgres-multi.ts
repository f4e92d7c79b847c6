import type { AcquireResult, ExtendResult } from '../../contract/lease.js';
import { leaseResult } from './postgres-lease-result.js';
import { type MultiSql, multiSql } from './postgres-multi.sql.js';
import type { LeaseTableNames } from './postgres-names.js';
import type { LeaseRow, RunStatement } from './postgres-statement.js';

/**
 * Multi-key leases on Postgres: the lease rows of every key, taken all or none by one function call
 * that locks them in key order (see `postgres-multi.sql.ts`); extended all or none by one statement;
 * released, each key's waiters woken, by the mutex's batch release with one owner for every key.
 */
export class PostgresMultiLeases {
  readonly #sql: MultiSql;

  constructor(
    names: LeaseTableNames,
    private readonly run: RunStatement,
    /** The mutex's `releaseMany` statement: $1 keys, $2 owners, $3 channel. */
    private readonly releaseManySql: string,
  ) {
    this.#sql = multiSql(names);
  }

  async acquire(owner: string, ttlMs: number, keys: readonly string[]): Promise<AcquireResult> {
    const rows = await this.run<LeaseRow>('multiAcquire', this.#sql.acquire, [keys, owner, ttlMs]);
    return leaseResult(rows[0]);
  }

  /** The new expiry when `owner` still held every key (now extended), `undefined` otherwise. */
  async extend(owner: string, ttlMs: number, keys: readonly string[]): Promise<ExtendResult> {
    const rows = await this.run<{ ms: number }>('multiExtend', this.#sql.extend, [
      keys,
      owner,
      ttlMs,
    ]);
    return rows.length === keys.length ? rows[0]!.ms : undefined;
  }

  /** Frees every key `owner` holds; `true` when there was any. */
  async release(owner: string, keys: readonly string[], channel: string): Promise<boolean> {
    const rows = await this.run<{ key: string }>('releaseMany', this.releaseManySql, [
      keys,
      keys.map(() => owner),
      channel,
    ]);
    return rows.length > 0;
  }
}
