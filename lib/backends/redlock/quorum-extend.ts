import type { ExtendResult, LeaseToExtend } from '../../contract/lock-backend.js';
import { MAX_BATCH, ownerReport, type QuorumContext } from './quorum-context.js';
import { decideOwnerCall, driftMs, majorityExpiry, type OwnerVote } from './quorum-outcome.js';
import { runQuorumRound } from './quorum-round.js';
import { RedlockQuorumError } from './redlock-quorum.error.js';
import { QUORUM_EXTEND } from './scripts/quorum-extend.lua.js';

/**
 * Extends a batch of leases on every node (the fence key's expiry moves along): a lease is extended
 * when a majority extended it in time to leave it some validity, and not held once too many nodes
 * say its owner has nothing there. A lease that is neither, because too few nodes answered in
 * time, gets its own {@link RedlockQuorumError} as its result while the others keep theirs: the
 * manager retries just that lease until its deadline. Never rejects (a round never does).
 */
export async function quorumExtend(
  context: QuorumContext,
  leases: readonly LeaseToExtend[],
): Promise<ExtendResult[]> {
  const { nodes, quorum, commandTimeoutMs, clockDriftFactor, fenceRetentionMs } = context;
  const votes = leases.map(() => new Array<OwnerVote | undefined>(nodes.length).fill(undefined));
  let undecided = leases.length;
  const decided = new Array<boolean>(leases.length).fill(false);
  const validityMs = Math.min(...leases.map((l) => l.ttlMs - driftMs(l.ttlMs, clockDriftFactor)));
  const startedAt = performance.now();
  const silence = await runQuorumRound({
    nodes,
    script: QUORUM_EXTEND,
    input: { leases, fenceRetentionMs },
    disconnected: 'skip',
    deadlines: context.deadlines,
    deadlineMs: Math.max(1, Math.min(commandTimeoutMs, validityMs)),
    settled: (i, answer) => {
      leases.forEach((_, j) => {
        const expiresAt = answer.ok ? answer.value[j] : undefined;
        votes[j]![i] = !answer.ok
          ? { kind: 'failed', failure: answer.failure }
          : expiresAt !== undefined
            ? { kind: 'done', expiresAt }
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
    return new RedlockQuorumError(
      'extend',
      lease.key,
      leaseVotes.map((vote, i) => ownerReport(nodes[i]!, vote, commandTimeoutMs, silence[i])),
      quorum,
      late ? `a majority extended it only after ${Math.round(elapsedMs)} ms` : undefined,
    );
  });
}

/**
 * Extends any number of leases with {@link quorumExtend}, in rounds of at most `MAX_BATCH`. A
 * round waits for answers only as long as its shortest lease leaves validity, so a lease whose ttl
 * leaves less than the command timeout goes in a round with the leases of its own ttl only: one
 * short lease must not cut the round short for the others.
 */
export async function quorumExtendAll(
  context: QuorumContext,
  leases: readonly LeaseToExtend[],
): Promise<ExtendResult[]> {
  const { commandTimeoutMs, clockDriftFactor } = context;
  const isShort = (lease: LeaseToExtend): boolean =>
    lease.ttlMs - driftMs(lease.ttlMs, clockDriftFactor) < commandTimeoutMs;
  if (!leases.some(isShort)) return inRounds(context, leases);
  /** Short leases by ttl; -1 for the others. */
  const groups = new Map<number, number[]>();
  leases.forEach((lease, index) => {
    const group = isShort(lease) ? lease.ttlMs : -1;
    const same = groups.get(group);
    if (same) same.push(index);
    else groups.set(group, [index]);
  });
  const results: ExtendResult[] = new Array(leases.length);
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      const extended = await inRounds(
        context,
        indexes.map((index) => leases[index]!),
      );
      indexes.forEach((index, j) => {
        results[index] = extended[j];
      });
    }),
  );
  return results;
}

/** {@link quorumExtend} in rounds of at most `MAX_BATCH` leases, one after the other. */
async function inRounds(
  context: QuorumContext,
  leases: readonly LeaseToExtend[],
): Promise<ExtendResult[]> {
  if (leases.length <= MAX_BATCH) return quorumExtend(context, leases);
  const results: ExtendResult[] = [];
  for (let i = 0; i < leases.length; i += MAX_BATCH) {
    results.push(...(await quorumExtend(context, leases.slice(i, i + MAX_BATCH))));
  }
  return results;
}
