import { withTimeout } from '../../contract/deadlines.js';
import type { AcquireRequest } from '../shared/lease-requests.js';
import type { QuorumContext } from './quorum-context.js';
import type { AcquireVote } from './quorum-outcome.js';
import { UNDO_ACQUIRE } from './scripts/undo-acquire.lua.js';

/** An acquire that was not granted, with what each node voted. */
export interface UndoneAcquire {
  readonly request: AcquireRequest;
  readonly votes: readonly (AcquireVote | undefined)[];
}

/**
 * Takes back acquires that were not granted, on every node that granted them or may have (a node
 * that timed out may apply the acquire later; the undo follows it on the same connection). Waits
 * for the nodes that granted one, and for the nodes that had not answered yet (their undo lands
 * right after their acquire), each at most `commandTimeoutMs`; never rejects. So a refused caller
 * that retries, or reads the nodes, does not meet its own stray lease.
 *
 * @example
 * ```ts
 * await undoAcquires(context, tallies.filter((tally) => tally.decision?.kind !== 'granted'));
 * ```
 */
export async function undoAcquires(
  context: QuorumContext,
  acquires: readonly UndoneAcquire[],
): Promise<void> {
  const waits: Promise<unknown>[] = [];
  context.nodes.forEach((node, i) => {
    const taken = acquires.filter((acquire) => {
      const vote = acquire.votes[i];
      if (vote?.kind === 'failed') return !vote.failure.unsent;
      return vote?.kind !== 'contended';
    });
    if (taken.length === 0) return;
    const undo = node
      .run(
        UNDO_ACQUIRE,
        taken.map((acquire) => acquire.request),
      )
      .catch(() => undefined);
    const owed = taken.some((acquire) => {
      const vote = acquire.votes[i];
      return vote === undefined || vote.kind === 'granted';
    });
    if (owed) waits.push(withTimeout(undo, context.commandTimeoutMs).catch(() => undefined));
  });
  await Promise.all(waits);
}
