import type {
  AcquireResult,
  ExtendResult,
  LeaseInfo,
  LeaseToExtend,
} from '../../contract/lease.js';
import type { ReadWriteAcquireOptions, ReadWriteLocks } from '../../contract/read-write-locks.js';
import type { PostgresContext } from './postgres-context.js';
import { extendWithStatement } from './postgres-extend.js';
import { leaseResult } from './postgres-lease-result.js';
import { type ReadWriteSql, readWriteSql } from './postgres-read-write.sql.js';

/**
 * Read-write locks on Postgres: the write hold is the key's mutex lease row; read holds are rows
 * of their own, with the key's lease row as their marker while any lives (see
 * `postgres-read-write.sql.ts`). Acquire and release are one function call each; extends of many
 * read holds share one call per chunk. Write holds are extended, inspected and released as mutex
 * leases too.
 *
 * @example
 * ```ts
 * await backend.readWrite.acquire('locker:catalog', owner, 30_000, {
 *   mode: 'read', fair: false, ticketTtlMs: 3_000, join: true,
 * });
 * ```
 */
export class PostgresReadWriteLocks implements ReadWriteLocks {
  readonly #sql: ReadWriteSql;

  constructor(private readonly context: PostgresContext) {
    this.#sql = readWriteSql(context.names);
  }

  acquire(
    key: string,
    owner: string,
    ttlMs: number,
    options: ReadWriteAcquireOptions,
  ): Promise<AcquireResult> {
    const statement = this.#sql.acquire;
    return this.context.call('acquire', key, owner, async () => {
      const [row] = await this.context.run(statement, [
        key,
        owner,
        ttlMs,
        // As the memory backend reads it: anything but a read is a write.
        options.mode === 'read' ? 'read' : 'write',
        options.fair,
        options.ticketTtlMs,
        options.join,
      ]);
      return leaseResult(statement.name, row);
    });
  }

  /** Extends each read hold still held by its owner; results in the order of `leases`. */
  extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    return extendWithStatement(this.context, this.#sql.extend, leases);
  }

  release(key: string, owner: string): Promise<boolean> {
    return this.context.call('release', key, owner, async () => {
      const [row] = await this.context.run(this.#sql.release, [key, owner, this.context.channel]);
      return row!.released;
    });
  }

  /**
   * The read hold of `key` granted last, with the number of live read holds; `null` when none.
   * Called by the backend's `inspect` once it found the key's readers marker (the table is ready).
   */
  async inspect(key: string): Promise<LeaseInfo | null> {
    const [row] = await this.context.run(this.#sql.inspect, [key]);
    if (!row) return null;
    return {
      key,
      owner: row.owner,
      fencingToken: BigInt(row.token),
      expiresAt: row.ms,
      holders: row.holders,
      mode: 'read',
    };
  }
}
