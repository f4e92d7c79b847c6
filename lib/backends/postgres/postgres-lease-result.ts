import type { AcquireResult } from '../../contract/lease.js';
import { float8, int8, malformedReply, nullable } from './postgres-statement.js';

/**
 * The columns of an acquire's answer, as the functions of fair leases, semaphores and multi-key
 * leases return it: `token` set = granted, `ms` its expiry (epoch ms); `token` NULL = a miss, `ms`
 * the holder's remaining ttl (NULL when unknown).
 */
export const leaseColumns = { token: nullable(int8), ms: nullable(float8) };

/** An acquire's row: see {@link leaseColumns}. */
export interface LeaseRow {
  readonly token: string | null;
  readonly ms: number | null;
}

/**
 * An acquire's row of statement `statement` as its result; a grant without an expiry is a
 * `LockBackendError` naming the statement.
 *
 * @example
 * ```ts
 * const [row] = await context.run(sql.acquire, [key, owner, ttlMs, permits]);
 * return leaseResult(sql.acquire.name, row);
 * ```
 */
export function leaseResult(statement: string, row: LeaseRow | undefined): AcquireResult {
  if (row?.token == null) return { acquired: false, retryAfterMs: row?.ms ?? undefined };
  if (row.ms === null) throw malformedReply(statement, 'a fencing token without its expiry (ms)');
  return { acquired: true, fencingToken: BigInt(row.token), expiresAt: row.ms };
}
