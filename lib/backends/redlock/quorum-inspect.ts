import type { LeaseInfo } from '../../contract/lock-backend.js';
import { INSPECT, type InspectedLease } from '../redis/scripts/inspect.lua.js';
import { nodeReport, type QuorumContext } from './quorum-context.js';
import { decideInspect, type InspectVote, majorityExpiry } from './quorum-outcome.js';
import { runQuorumRound } from './quorum-round.js';
import { RedlockQuorumError } from './redlock-quorum.error.js';

/**
 * Reads a key on every node (the single-node inspect script): the lease of the owner that holds
 * it on a majority, with the highest fencing token among them and the moment fewer than a
 * majority will still hold it; `null` when no owner does or can. Rejects with a
 * {@link RedlockQuorumError} when too few nodes answered to tell.
 */
export async function quorumInspect(
  context: QuorumContext,
  key: string,
): Promise<LeaseInfo | null> {
  const { nodes, quorum, commandTimeoutMs } = context;
  const votes = new Array<InspectVote | undefined>(nodes.length).fill(undefined);
  const silence = await runQuorumRound({
    nodes,
    script: INSPECT,
    input: { key },
    disconnected: 'skip',
    deadlines: context.deadlines,
    deadlineMs: commandTimeoutMs,
    settled: (i, answer) => {
      votes[i] = answer.ok ? voteOf(answer.value) : { kind: 'failed', failure: answer.failure };
      return decideInspect(votes, quorum, false) !== undefined;
    },
  });
  const final = votes.map(
    (vote, i): InspectVote =>
      vote ?? { kind: 'failed', failure: silence[i] ?? nodes[i]!.silent(commandTimeoutMs) },
  );
  const decision = decideInspect(final, quorum, true)!;
  if (decision.kind === 'free') return null;
  if (decision.kind === 'held') {
    let token = 0n;
    const expiries: number[] = [];
    for (const vote of decision.votes) {
      if (vote.kind !== 'held') continue;
      if (vote.token > token) token = vote.token;
      expiries.push(vote.expiresAt);
    }
    return {
      key,
      owner: decision.owner,
      fencingToken: token,
      expiresAt: majorityExpiry(expiries, quorum),
    };
  }
  throw new RedlockQuorumError(
    'inspect',
    key,
    final.map((vote, i) =>
      nodeReport(
        nodes[i]!,
        vote.kind === 'failed' ? vote.failure : vote.kind === 'held' ? 'contended' : 'not-held',
      ),
    ),
    quorum,
  );
}

/** One node's lease on the key, as its vote. */
function voteOf(lease: InspectedLease | null): InspectVote {
  if (!lease) return { kind: 'free' };
  return {
    kind: 'held',
    owner: lease.owner,
    token: lease.fencingToken,
    expiresAt: lease.expiresAt,
  };
}
