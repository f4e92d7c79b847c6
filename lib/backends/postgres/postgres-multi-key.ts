import type { AcquireResult, ExtendResult } from '../../contract/lease.js';
import type { MultiKeyLeaseToExtend, MultiKeyLocks } from '../../contract/multi-key-locks.js';
import type { PostgresContext } from './postgres-context.js';
import { extendInChunks } from './postgres-extend.js';
import { leaseResult } from './postgres-lease-result.js';
import { type MultiSql, multiSql } from './postgres-multi-key.sql.js';
import { malformedReply } from './postgres-statement.js';

/**
 * Multi-key leases on Postgres: the lease rows of every key, taken all or none by one function call
 * that locks them in key order (see `postgres-multi-key.sql.ts`); extended all or none by one
 * statement per lease; released, each key's waiters woken, by the mutex's `releaseMany` statement
 * with one owner for every key. A multi-key lease stands for its first key in errors.
 *
 * @example
 * ```ts
 * await backend.multiKey.acquire(['locker:account:1', 'locker:account:2'], owner, 30_000);
 * ```
 */
export class PostgresMultiKeyLocks implements MultiKeyLocks {
  readonly #sql: MultiSql;

  constructor(private readonly context: PostgresContext) {
    this.#sql = multiSql(context.names);
  }

  acquire(keys: readonly string[], owner: string, ttlMs: number): Promise<AcquireResult> {
    const statement = this.#sql.acquire;
    return this.context.call('acquire', keys[0]!, owner, async () => {
      const [row] = await this.context.run(statement, [keys, owner, ttlMs]);
      return leaseResult(statement.name, row);
    });
  }

  /** Each lease's new expiry when its owner still held every key (now extended), else `undefined`. */
  extend(leases: readonly MultiKeyLeaseToExtend[]): Promise<ExtendResult[]> {
    return extendInChunks(
      this.context,
      leases.map((lease) => ({ ...lease, key: lease.keys[0]! })),
      (chunk) =>
        Promise.all(
          chunk.map((lease) =>
            this.#extendOne(lease).catch((error: unknown) =>
              this.context.error('extend', lease.key, error),
            ),
          ),
        ),
    );
  }

  /** Frees every key `owner` holds; `true` when there was any. */
  release(keys: readonly string[], owner: string): Promise<boolean> {
    return this.context.call('release', keys[0]!, owner, async () => {
      const rows = await this.context.run(this.context.sql.releaseMany, [
        keys,
        keys.map(() => owner),
        this.context.channel,
      ]);
      return rows.length > 0;
    });
  }

  async #extendOne({ keys, owner, ttlMs }: MultiKeyLeaseToExtend): Promise<ExtendResult> {
    const rows = await this.context.run(this.#sql.extend, [keys, owner, ttlMs]);
    if (rows.length === 0) return undefined;
    if (rows.length !== keys.length) {
      throw malformedReply(this.#sql.extend.name, `${rows.length} rows for ${keys.length} keys`);
    }
    return rows[0]!.ms;
  }
}
