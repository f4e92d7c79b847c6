import type { FairAcquireOptions, FairLocks } from '../../contract/fair-locks.js';
import type { AcquireResult } from '../../contract/lease.js';
import type { PostgresContext } from './postgres-context.js';
import { type FairSql, fairSql } from './postgres-fair.sql.js';
import { leaseResult } from './postgres-lease-result.js';

/**
 * Fair leases on Postgres: each acquire and release is one call of a PL/pgSQL function that locks
 * the key's lease row and then reads and changes the key's queue of tickets (see
 * `postgres-fair.sql.ts`). A release that frees a key with live waiters hands the lease to the head
 * of the queue in the same transaction and announces the hand-off (owner, token, expiry) on the
 * table's NOTIFY channel. Hand-offs commit durably: a waiter told it holds a lease must find it
 * there after a crash. A fair lease is extended and inspected as a mutex lease.
 *
 * @example
 * ```ts
 * await backend.fair.acquire('locker:report', owner, 30_000, { ticketTtlMs: 3_000, join: true });
 * ```
 */
export class PostgresFairLocks implements FairLocks {
  readonly #sql: FairSql;

  constructor(private readonly context: PostgresContext) {
    this.#sql = fairSql(context.names);
  }

  acquire(
    key: string,
    owner: string,
    ttlMs: number,
    options: FairAcquireOptions,
  ): Promise<AcquireResult> {
    const statement = this.#sql.acquire;
    return this.context.call('acquire', key, owner, async () => {
      const [row] = await this.context.run(statement, [
        key,
        owner,
        ttlMs,
        options.ticketTtlMs,
        options.join,
        this.context.channel,
      ]);
      return leaseResult(statement.name, row);
    });
  }

  release(key: string, owner: string): Promise<boolean> {
    return this.context.call('release', key, owner, async () => {
      const [row] = await this.context.run(this.#sql.release, [key, owner, this.context.channel]);
      return row!.released;
    });
  }
}
