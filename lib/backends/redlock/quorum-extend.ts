import type { ExtendResult, LeaseToExtend } from '../lock-backend.js';
import { fenceKeyOf, lockKeyOf } from '../redis/redis-keys.js';
import { RedisScript } from '../redis/redis-script.js';
import { ownerReport, type QuorumContext } from './quorum-context.js';
import { decideOwnerCall, driftMs, majorityExpiry, type OwnerVote } from './quorum-outcome.js';
import { runQuorumRound } from './quorum-round.js';
import { RedlockQuorumError } from './redlock-quorum.error.js';
import { QUORUM_EXTEND_LUA } from './scripts/quorum-extend.lua.js';

const EXTEND = new RedisScript(QUORUM_EXTEND_LUA);

/**
 * Extends a batch of leases on every node (the fence key's expiry moves along): a lease is extended
 * when a majority extended it in time to leave it some validity, and not held once too many nodes
 * say its owner has nothing there. Rejects with a {@link RedlockQuorumError} when a lease is
 * neither, because too few nodes answered: the manager retries that until the lease's deadline.
 */
export async function quorumExtend(
  context: QuorumContext,
  leases: readonly LeaseToExtend[],
): Promise<ExtendResult[]> {
  const { nodes, quorum, commandTimeoutMs, clockDriftFactor, fenceRetentionMs } = context;
  const keys = leases.flatMap((lease) => {
    const lockKey = lockKeyOf(lease.key);
    return [lockKey, fenceKeyOf(lockKey)];
  });
  const args = [fenceRetentionMs, ...leases.flatMap((lease) => [lease.owner, lease.ttlMs])];
  const votes = leases.map(() => new Array<OwnerVote | undefined>(nodes.length).fill(undefined));
  let undecided = leases.length;
  const decided = new Array<boolean>(leases.length).fill(false);
  const validityMs = Math.min(...leases.map((l) => l.ttlMs - driftMs(l.ttlMs, clockDriftFactor)));
  const startedAt = performance.now();
  const silence = await runQuorumRound<unknown>({
    nodes,
    script: EXTEND,
    keys,
    args,
    disconnected: 'skip',
    deadlines: context.deadlines,
    deadlineMs: Math.max(1, Math.min(commandTimeoutMs, validityMs)),
    settled: (i, answer) => {
      const reply = answer.ok ? (answer.value as number[]) : undefined;
      leases.forEach((lease, j) => {
        votes[j]![i] = !answer.ok
          ? { kind: 'failed', failure: answer.failure }
          : reply![j + 1] === 1
            ? { kind: 'done', expiresAt: reply![0]! + lease.ttlMs }
            : { kind: 'not-held' };
        if (!decided[j] && decideOwnerCall(votes[j]!, quorum, false)) {
          decided[j] = true;
          undecided--;
        }
      });
      return undecided === 0;
    },
  });
  const elapsedMs = performance.now() - startedAt;
  return leases.map((lease, j) => {
    const leaseVotes = votes[j]!;
    const decision = decideOwnerCall(leaseVotes, quorum, true);
    if (decision === 'not-held') return undefined;
    const late = lease.ttlMs - elapsedMs - driftMs(lease.ttlMs, clockDriftFactor) <= 0;
    if (decision === 'done' && !late) {
      const expiries = leaseVotes.flatMap((vote) =>
        vote?.kind === 'done' ? [vote.expiresAt] : [],
      );
      return majorityExpiry(expiries, quorum);
    }
    throw new RedlockQuorumError(
      'extend',
      lease.key,
      leaseVotes.map((vote, i) => ownerReport(nodes[i]!, vote, commandTimeoutMs, silence[i])),
      quorum,
      late ? `a majority extended it only after ${Math.round(elapsedMs)} ms` : undefined,
    );
  });
}
