import type {
  AcquireResult,
  ExtendResult,
  LeaseInfo,
  LeaseToExtend,
} from '../../contract/lease.js';
import type { Semaphores } from '../../contract/semaphores.js';
import type { PostgresContext } from './postgres-context.js';
import { extendWithStatement } from './postgres-extend.js';
import { leaseResult } from './postgres-lease-result.js';
import { type SemaphoreSql, semaphoreSql } from './postgres-semaphore.sql.js';

/**
 * Semaphores on Postgres: a table of permit slots per key, taken with `SKIP LOCKED`, and the key's
 * lease row as its marker (see `postgres-semaphore.sql.ts`). Acquire is one function call, release
 * one statement; extends of many permits share one call per chunk.
 *
 * @example
 * ```ts
 * await backend.semaphore.acquire('locker:partner-api', owner, 30_000, 4);
 * ```
 */
export class PostgresSemaphores implements Semaphores {
  readonly #sql: SemaphoreSql;

  constructor(private readonly context: PostgresContext) {
    this.#sql = semaphoreSql(context.names);
  }

  acquire(key: string, owner: string, ttlMs: number, permits: number): Promise<AcquireResult> {
    const statement = this.#sql.acquire;
    return this.context.call('acquire', key, owner, async () => {
      const [row] = await this.context.run(statement, [key, owner, ttlMs, permits]);
      return leaseResult(statement.name, row);
    });
  }

  /** Extends each permit still held by its owner; results in the order of `leases`. */
  extend(leases: readonly LeaseToExtend[]): Promise<ExtendResult[]> {
    return extendWithStatement(this.context, this.#sql.extend, leases);
  }

  release(key: string, owner: string): Promise<boolean> {
    return this.context.call('release', key, owner, async () => {
      const [row] = await this.context.run(this.#sql.release, [key, owner, this.context.channel]);
      return row?.released === true;
    });
  }

  /**
   * The holder of `key` that took its permit last, with the number of live permits; `null` when
   * none. Called by the backend's `inspect` once it found the key's marker (the table is ready).
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
    };
  }
}
