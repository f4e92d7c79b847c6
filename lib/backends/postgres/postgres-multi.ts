import type { AcquireResult, ExtendResult, MultiKeyShape } from '../../contract/lock-backend.js';
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

  async acquire(owner: string, ttlMs: number, shape: MultiKeyShape): Promise<AcquireResult> {
    const rows = await this.run<LeaseRow>('multiAcquire', this.#sql.acquire, [
      shape.keys,
      owner,
      ttlMs,
    ]);
    return leaseResult(rows[0]);
  }

  /** The new expiry when `owner` still held every key (now extended), `undefined` otherwise. */
  async extend(owner: string, ttlMs: number, shape: MultiKeyShape): Promise<ExtendResult> {
    const rows = await this.run<{ ms: number }>('multiExtend', this.#sql.extend, [
      shape.keys,
      owner,
      ttlMs,
    ]);
    return rows.length === shape.keys.length ? rows[0]!.ms : undefined;
  }

  /** Frees every key `owner` holds; `true` when there was any. */
  async release(owner: string, shape: MultiKeyShape, channel: string): Promise<boolean> {
    const rows = await this.run<{ key: string }>('releaseMany', this.releaseManySql, [
      shape.keys,
      shape.keys.map(() => owner),
      channel,
    ]);
    return rows.length > 0;
  }
}
