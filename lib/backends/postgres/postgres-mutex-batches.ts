import type { LockBackendError } from '../../contract/errors.js';
import type { AcquireResult } from '../../contract/lease.js';
import type { AcquireRequest, ReleaseRequest } from '../shared/lease-requests.js';
import { TickBatcher } from '../shared/tick-batcher.js';
import type { AcquireRow } from './postgres.sql.js';
import { MAX_BATCH, type PostgresContext } from './postgres-context.js';
import { mayBeOneItem } from './postgres-item-error.js';
import { leaseResult } from './postgres-lease-result.js';
import { malformedReply } from './postgres-statement.js';

/** An acquire of a plain mutex that found the key held as a semaphore. */
export const KEY_IS_SEMAPHORE = Symbol('held as a semaphore');

/** What a plain acquire of the batch found. */
export type BatchAcquireResult = AcquireResult | typeof KEY_IS_SEMAPHORE;

/**
 * The plain mutex's acquires and releases made in the same tick, each kind sharing one statement
 * per round (`acquireMany`, `releaseMany`; a lone call uses `acquireOne` or `releaseOne`). Each
 * call settles on its own: a round that one item's values failed is re-run item by item.
 *
 * @example
 * ```ts
 * const result = await batches.acquire({ key, owner, ttlMs }); // shares a statement with its tick
 * ```
 */
export class PostgresMutexBatches {
  readonly #acquires = new TickBatcher<AcquireRequest, BatchAcquireResult>(
    (items) => this.#acquireBatch(items),
    MAX_BATCH,
  );
  readonly #releases = new TickBatcher<ReleaseRequest, boolean>(
    (items) => this.#releaseBatch(items),
    MAX_BATCH,
  );

  constructor(private readonly context: PostgresContext) {}

  acquire(request: AcquireRequest): Promise<BatchAcquireResult> {
    return this.#acquires.add(request);
  }

  release(request: ReleaseRequest): Promise<boolean> {
    return this.#releases.add(request);
  }

  async #acquireBatch(items: AcquireRequest[]): Promise<(BatchAcquireResult | LockBackendError)[]> {
    const { sql } = this.context;
    const results: (BatchAcquireResult | LockBackendError)[] = new Array(items.length);
    await this.#inRounds(items, results, 'acquire', async (round) => {
      if (round.length === 1) {
        const index = round[0]!;
        const { key, owner, ttlMs } = items[index]!;
        const [row] = await this.context.run(sql.acquireOne, [key, owner, ttlMs]);
        results[index] = acquireResult(sql.acquireOne.name, row);
        return;
      }
      // Rows are locked in key order, so two batches never wait for each other in a cycle.
      round.sort((a, b) => (items[a]!.key < items[b]!.key ? -1 : 1));
      const rows = await this.context.run(sql.acquireMany, [
        round.map((index) => items[index]!.key),
        round.map((index) => items[index]!.owner),
        round.map((index) => items[index]!.ttlMs),
      ]);
      const answered = new Set<number>();
      for (const row of rows) {
        const index = round[row.i - 1];
        if (index === undefined || answered.has(index)) {
          throw malformedReply(
            sql.acquireMany.name,
            `a row for request ${row.i} of ${round.length}`,
          );
        }
        answered.add(index);
        results[index] = acquireResult(sql.acquireMany.name, row);
      }
      if (answered.size !== round.length) {
        throw malformedReply(
          sql.acquireMany.name,
          `${rows.length} rows for ${round.length} requests`,
        );
      }
    });
    return results;
  }

  async #releaseBatch(items: ReleaseRequest[]): Promise<(boolean | LockBackendError)[]> {
    const { sql, channel } = this.context;
    const results: (boolean | LockBackendError)[] = new Array(items.length).fill(false);
    await this.#inRounds(items, results, 'release', async (round) => {
      if (round.length === 1) {
        const index = round[0]!;
        const { key, owner } = items[index]!;
        const rows = await this.context.run(sql.releaseOne, [key, owner, channel]);
        results[index] = rows.length > 0;
        return;
      }
      const rows = await this.context.run(sql.releaseMany, [
        round.map((index) => items[index]!.key),
        round.map((index) => items[index]!.owner),
        channel,
      ]);
      const released = new Set(rows.map((row) => row.key));
      for (const index of round) results[index] = released.has(items[index]!.key);
    });
    return results;
  }

  /**
   * Runs a same-tick batch round by round (each round has distinct keys), each round's answers
   * written into `results` by `runRound`. Each item settles on its own: a round that one item's
   * values failed (see {@link mayBeOneItem}) is re-run item by item, so only that item gets its
   * error; after any other failure, that round's and the later rounds' items get the error (the
   * next statement would meet the same store) and the batch stops there.
   */
  async #inRounds<R>(
    items: readonly { readonly key: string }[],
    results: (R | LockBackendError)[],
    operation: 'acquire' | 'release',
    runRound: (round: number[]) => Promise<void>,
  ): Promise<void> {
    const rounds = distinctKeyRounds(items);
    for (let r = 0; r < rounds.length; r++) {
      const round = rounds[r]!;
      try {
        await runRound(round);
      } catch (error) {
        if (round.length > 1 && mayBeOneItem(error)) {
          await Promise.all(
            round.map((index) =>
              runRound([index]).catch((alone: unknown) => {
                results[index] = this.context.error(operation, items[index]!.key, alone);
              }),
            ),
          );
          continue;
        }
        for (const later of rounds.slice(r)) {
          for (const index of later) {
            results[index] = this.context.error(operation, items[index]!.key, error);
          }
        }
        return;
      }
    }
  }
}

/**
 * Splits a batch into rounds in which every key appears at most once (one statement may not upsert
 * a row twice); the n-th request for a key goes into round n. Each round lists item indexes.
 */
function distinctKeyRounds(items: readonly { readonly key: string }[]): number[][] {
  const rounds: number[][] = [];
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const round = seen.get(item.key) ?? 0;
    seen.set(item.key, round + 1);
    if (round === rounds.length) rounds.push([]);
    rounds[round]!.push(index);
  });
  return rounds;
}

function acquireResult(statement: string, row: AcquireRow | undefined): BatchAcquireResult {
  return row?.semaphore ? KEY_IS_SEMAPHORE : leaseResult(statement, row);
}
