import type {
  AcquireResult,
  ExtendResult,
  LeaseInfo,
  LeaseToExtend,
} from '../../contract/lock-backend.js';
import { leaseResult } from './postgres-lease-result.js';
import type { LeaseTableNames } from './postgres-names.js';
import { type SemaphoreSql, semaphoreSql } from './postgres-semaphore.sql.js';
import type { LeaseRow, RunStatement } from './postgres-statement.js';

/**
 * Semaphores on Postgres: a table of permit slots per key, taken with `SKIP LOCKED`, and the key's
 * lease row as its marker (see `postgres-semaphore.sql.ts`). Acquire is one function call, release
 * one statement; extends of many permits share one call.
 */
export class PostgresSemaphores {
  readonly #sql: SemaphoreSql;

  constructor(
    names: LeaseTableNames,
    private readonly run: RunStatement,
  ) {
    this.#sql = semaphoreSql(names);
  }

  async acquire(
    key: string,
    owner: string,
    ttlMs: number,
    permits: number,
  ): Promise<AcquireResult> {
    const rows = await this.run<LeaseRow>('semaphoreAcquire', this.#sql.acquire, [
      key,
      owner,
      ttlMs,
      permits,
    ]);
    return leaseResult(rows[0]);
  }

  /** Extends each permit still held by its owner; results in the order of `leases`. */
  async extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    const rows = await this.run<{ key: string; owner: string; ms: number }>(
      'semaphoreExtend',
      this.#sql.extend,
      [
        leases.map((lease) => lease.key),
        leases.map((lease) => lease.owner),
        leases.map((lease) => lease.ttlMs),
      ],
    );
    // Keys cannot hold NUL, so key + NUL + owner names one permit.
    const extended = new Map(rows.map((row) => [`${row.key}\0${row.owner}`, row.ms]));
    return leases.map((lease) => extended.get(`${lease.key}\0${lease.owner}`));
  }

  async release(key: string, owner: string, channel: string): Promise<boolean> {
    const rows = await this.run<{ released: boolean }>('semaphoreRelease', this.#sql.release, [
      key,
      owner,
      channel,
    ]);
    return rows[0]?.released === true;
  }

  /** The holder that took its permit last, with the number of live permits; `null` when none. */
  async inspect(key: string): Promise<LeaseInfo | null> {
    const rows = await this.run<{ owner: string; token: string; ms: number; holders: number }>(
      'semaphoreInspect',
      this.#sql.inspect,
      [key],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      key,
      owner: row.owner,
      fencingToken: BigInt(row.token),
      expiresAt: row.ms,
      holders: row.holders,
    };
  }
}
