import type { AcquireResult } from '../../contract/lock-backend.js';
import type { LeaseRow } from './postgres-statement.js';

/** An acquire's row as its result: a token means granted (ms the expiry), none a miss (ms to wait). */
export function leaseResult(row: LeaseRow | undefined): AcquireResult {
  if (row?.token != null) {
    return { acquired: true, fencingToken: BigInt(row.token), expiresAt: row.ms! };
  }
  return { acquired: false, retryAfterMs: row?.ms ?? undefined };
}
