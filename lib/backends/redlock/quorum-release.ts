import { RELEASE } from '../redis/scripts/release.lua.js';
import type { ReleaseRequest } from '../shared/lease-requests.js';
import { ownerReport, type QuorumContext } from './quorum-context.js';
import { decideOwnerCall, type OwnerVote } from './quorum-outcome.js';
import { runQuorumRound } from './quorum-round.js';
import { RedlockQuorumError } from './redlock-quorum.error.js';

const DONE: OwnerVote = { kind: 'done', expiresAt: 0 };
const NOT_HELD: OwnerVote = { kind: 'not-held' };

export type { ReleaseRequest } from '../shared/lease-requests.js';

/**
 * Releases a batch of leases on every node (the single-node release script, which also wakes the
 * waiters subscribed on that node). `true` when a majority released it, `false` when too many
 * nodes say the owner held nothing there, a {@link RedlockQuorumError} when too few answered.
 * Nodes whose connection is down get the release queued, behind anything sent there before.
 */
export async function quorumRelease(
  context: QuorumContext,
  requests: readonly ReleaseRequest[],
): Promise<(boolean | RedlockQuorumError)[]> {
  const { nodes, quorum, commandTimeoutMs } = context;
  const votes = requests.map(() => new Array<OwnerVote | undefined>(nodes.length).fill(undefined));
  const decided = new Array<boolean>(requests.length).fill(false);
  let undecided = requests.length;
  const silence = await runQuorumRound({
    nodes,
    script: RELEASE,
    input: requests,
    disconnected: 'queue',
    deadlines: context.deadlines,
    deadlineMs: commandTimeoutMs,
    settled: (i, answer) => {
      for (let j = 0; j < votes.length; j++) {
        const requestVotes = votes[j]!;
        requestVotes[i] = !answer.ok
          ? { kind: 'failed', failure: answer.failure }
          : answer.value[j]
            ? DONE
            : NOT_HELD;
        if (!decided[j] && decideOwnerCall(requestVotes, quorum, false)) {
          decided[j] = true;
          undecided--;
        }
      }
      return undecided === 0;
    },
  });
  return requests.map((request, j) => {
    const requestVotes = votes[j]!;
    const decision = decideOwnerCall(requestVotes, quorum, true);
    if (decision !== 'failed') return decision === 'done';
    return new RedlockQuorumError(
      'release',
      request.key,
      requestVotes.map((vote, i) => ownerReport(nodes[i]!, vote, commandTimeoutMs, silence[i])),
      quorum,
    );
  });
}
