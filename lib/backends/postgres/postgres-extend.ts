import type { ExtendResult, LeaseToExtend } from '../../contract/lease.js';
import { MAX_BATCH, type PostgresContext, refuseReservedOwner } from './postgres-context.js';
import { mayBeOneItem } from './postgres-item-error.js';
import type { Statement } from './postgres-statement.js';

/**
 * Extends leases of one kind (mutex leases, permits, multi-key leases) `MAX_BATCH` at a time with
 * `extendChunk`, once the table is ready. Each lease settles on its own: a chunk that one lease's
 * values failed (see {@link mayBeOneItem}) is re-run lease by lease, so only that lease gets its
 * error; after any other failure, that chunk's and the later chunks' leases get the error (the next
 * statement would meet the same store). Rejects only when no lease could be extended.
 *
 * @example
 * ```ts
 * extendInChunks(context, leases, (chunk) => extendPermits(chunk));
 * ```
 */
export async function extendInChunks<L extends LeaseToExtend>(
  context: PostgresContext,
  leases: readonly L[],
  extendChunk: (chunk: L[]) => Promise<ExtendResult[]>,
): Promise<ExtendResult[]> {
  for (const lease of leases) refuseReservedOwner(lease.owner);
  const results: ExtendResult[] = new Array(leases.length);
  for (let i = 0; i < leases.length; i += MAX_BATCH) {
    const chunk = leases.slice(i, i + MAX_BATCH);
    let extended: ExtendResult[];
    try {
      if (!context.isReady) await context.whenReady();
      extended = await extendChunk(chunk);
    } catch (error) {
      if (chunk.length > 1 && mayBeOneItem(error)) {
        extended = await Promise.all(
          chunk.map((lease) =>
            extendChunk([lease]).then(
              ([result]) => result,
              (alone: unknown) => context.error('extend', lease.key, alone),
            ),
          ),
        );
      } else {
        const failure = context.error(
          'extend',
          chunk.length === 1 ? chunk[0]!.key : undefined,
          error,
        );
        results.fill(failure, i);
        break;
      }
    }
    extended.forEach((result, j) => {
      results[i + j] = result;
    });
  }
  const first = results[0];
  if (typeof first === 'object' && results.every((result) => typeof result === 'object')) {
    throw first;
  }
  return results;
}

/** A statement that extends leases given as parallel arrays, answering the leases it extended. */
export type ExtendStatement = Statement<
  readonly [readonly string[], readonly string[], readonly number[]],
  { readonly key: string; readonly owner: string; readonly ms: number }
>;

/**
 * Extends leases with `statement`, one run per chunk (see {@link extendInChunks}): each lease's new
 * expiry, or `undefined` when the statement did not extend it (no longer its owner's).
 *
 * @example
 * ```ts
 * extendWithStatement(context, context.sql.extend, leases);
 * ```
 */
export function extendWithStatement(
  context: PostgresContext,
  statement: ExtendStatement,
  leases: readonly LeaseToExtend[],
): Promise<ExtendResult[]> {
  return extendInChunks(context, leases, async (chunk) => {
    const rows = await context.run(statement, [
      chunk.map((lease) => lease.key),
      chunk.map((lease) => lease.owner),
      chunk.map((lease) => lease.ttlMs),
    ]);
    // Keys cannot hold NUL, so key + NUL + owner names one lease.
    const extended = new Map(rows.map((row) => [`${row.key}\0${row.owner}`, row.ms]));
    return chunk.map((lease) => extended.get(`${lease.key}\0${lease.owner}`));
  });
}
