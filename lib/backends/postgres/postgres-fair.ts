import type { FairAcquireOptions } from '../../contract/fair-locks.js';
import type { AcquireResult } from '../../contract/lease.js';
import { type FairSql, fairSql } from './postgres-fair.sql.js';
import { leaseResult } from './postgres-lease-result.js';
import type { LeaseTableNames } from './postgres-names.js';
import type { LeaseRow, RunStatement } from './postgres-statement.js';

/**
 * Fair leases on Postgres: each acquire and release is one call of a PL/pgSQL function that locks
 * the key's lease row and then reads and changes the key's queue of tickets (see
 * `postgres-fair.sql.ts`). A release that frees a key with live waiters hands the lease to the head
 * of the queue in the same transaction and announces the hand-off (owner, token, expiry) on the
 * table's NOTIFY channel. Hand-offs commit durably: a waiter told it holds a lease must find it
 * there after a crash.
 */
export class PostgresFairLeases {
  readonly #sql: FairSql;

  constructor(
    names: LeaseTableNames,
    private readonly run: RunStatement,
  ) {
    this.#sql = fairSql(names);
  }

  async acquire(
    key: string,
    owner: string,
    ttlMs: number,
    options: FairAcquireOptions,
    channel: string,
  ): Promise<AcquireResult> {
    const rows = await this.run<LeaseRow>('fairAcquire', this.#sql.acquire, [
      key,
      owner,
      ttlMs,
      options.ticketTtlMs,
      options.join,
      channel,
    ]);
    return leaseResult(rows[0]);
  }

  async release(key: string, owner: string, channel: string): Promise<boolean> {
    const rows = await this.run<{ released: boolean }>('fairRelease', this.#sql.release, [
      key,
      owner,
      channel,
    ]);
    return rows[0]?.released === true;
  }
}
