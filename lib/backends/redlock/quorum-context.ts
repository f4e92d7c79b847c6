import type { Deadlines } from '../shared/deadlines.js';
import type { QuorumNode } from './quorum-node.js';
import type { NodeFailure, OwnerVote } from './quorum-outcome.js';
import type { RedlockNodeOutcome, RedlockNodeReport } from './redlock-quorum.error.js';

/** What every quorum operation needs to know of the backend. */
export interface QuorumContext {
  readonly nodes: readonly QuorumNode[];
  readonly quorum: number;
  readonly commandTimeoutMs: number;
  readonly clockDriftFactor: number;
  readonly fenceRetentionMs: number;
  readonly deadlines: Deadlines;
}

/** Locks per script run: keeps every script short, so it never blocks a node for long. */
export const MAX_BATCH = 128;

/** One node's part for an error report: a success word, or the failure. */
export function nodeReport(
  node: QuorumNode,
  outcome: Exclude<RedlockNodeOutcome, NodeFailure['reason']> | NodeFailure,
): RedlockNodeReport {
  if (typeof outcome === 'string') return { node: node.label, outcome };
  return { node: node.label, outcome: outcome.reason, cause: outcome.cause };
}

/**
 * One node's part in a failed extend or release; a node without a vote has its `silence` from
 * the round (or was silent until the timeout).
 */
export function ownerReport(
  node: QuorumNode,
  vote: OwnerVote | undefined,
  timeoutMs: number,
  silence?: NodeFailure,
): RedlockNodeReport {
  if (vote === undefined) return nodeReport(node, silence ?? node.silent(timeoutMs));
  if (vote.kind === 'failed') return nodeReport(node, vote.failure);
  return nodeReport(node, vote.kind === 'done' ? 'granted' : 'not-held');
}
