/**
 * The pure part of the Redlock quorum: what each node said, and when those answers add up to a
 * decision. No I/O here, so every rule is unit-tested without servers (test/unit/quorum-outcome).
 */

/** Why a node gave no usable answer. */
export type NodeFailureReason =
  /** Not connected (refused, reset, reconnecting, closed): the call was not sent or not answered. */
  | 'unreachable'
  /** Connected, but no answer within the per-node command timeout: the call may still land. */
  | 'timeout'
  /** The node answered with an error (`OOM`, `READONLY`, `BUSY` ...). */
  | 'error'
  /** The call was sent, and decided by the other nodes before this one answered. */
  | 'unanswered'
  /** The call was never sent: the nodes out of reach had decided it already. */
  | 'not-sent';

/** One node's failure, with the node's label (`host:port`) and the underlying error. */
export interface NodeFailure {
  readonly reason: NodeFailureReason;
  readonly cause: Error;
  /** The call was never sent (the connection was down), so it cannot land later. */
  readonly unsent?: true;
}

/** The smallest majority of `nodeCount` nodes. */
export function quorumOf(nodeCount: number): number {
  return Math.floor(nodeCount / 2) + 1;
}

/**
 * The clock-drift allowance of a lease of `ttlMs`: the Redlock analysis's `ttl × factor + 2 ms`
 * (the 2 ms cover the granularity of Redis expiry). A lease is valid for `ttl − elapsed − drift`.
 */
export function driftMs(ttlMs: number, driftFactor: number): number {
  return Math.floor(ttlMs * driftFactor) + 2;
}

/**
 * When a lease held on several nodes stops being held by a majority: with `expiries` the lease's
 * expiry on each node that has it, the moment the `quorum`-th latest of them passes.
 */
export function majorityExpiry(expiries: readonly number[], quorum: number): number {
  const latestFirst = [...expiries].sort((a, b) => b - a);
  return latestFirst[quorum - 1] ?? Number.NEGATIVE_INFINITY;
}

/** What one node answered to an acquire of one key. */
export type AcquireVote =
  | { readonly kind: 'granted'; readonly token: number }
  | { readonly kind: 'contended'; readonly holder: string; readonly pttlMs: number }
  | { readonly kind: 'failed'; readonly failure: NodeFailure };

/** What the votes on one key add up to. */
export type AcquireDecision =
  /** A majority granted the lease. */
  | { readonly kind: 'granted' }
  /** Another owner holds (or may hold) the key on a majority; free in at most `retryAfterMs`. */
  | { readonly kind: 'held'; readonly retryAfterMs: number | undefined }
  /** Every node answered, nobody holds a majority: concurrent contenders split the votes. */
  | { readonly kind: 'split' }
  /** Too few nodes answered to tell. */
  | { readonly kind: 'failed' };

const GRANTED: AcquireDecision = { kind: 'granted' };
const SPLIT: AcquireDecision = { kind: 'split' };
const FAILED: AcquireDecision = { kind: 'failed' };

/**
 * Decides an acquire from the votes so far (`undefined`: the node has not answered yet), or returns
 * `undefined` while more answers are needed. A grant or a loss to one holder is decided as soon as
 * a majority says so; a split only once every node answered (or `final`: no more answers will
 * come, missing ones count as failures).
 */
export function decideAcquire(
  votes: readonly (AcquireVote | undefined)[],
  quorum: number,
  final: boolean,
): AcquireDecision | undefined {
  let granted = 0;
  let failed = 0;
  let pending = 0;
  for (const vote of votes) {
    if (vote === undefined) pending++;
    else if (vote.kind === 'granted') granted++;
    else if (vote.kind === 'failed') failed++;
  }
  if (granted >= quorum) return GRANTED;
  if (final) {
    failed += pending;
    pending = 0;
  }
  const contended = votes.length - granted - failed - pending;
  if (contended === 0) {
    if (failed > votes.length - quorum) return FAILED;
    return pending > 0 ? undefined : FAILED;
  }
  const holders = new Map<string, number[]>();
  for (const vote of votes) {
    if (vote?.kind !== 'contended') continue;
    const pttls = holders.get(vote.holder);
    if (pttls) pttls.push(vote.pttlMs);
    else holders.set(vote.holder, [vote.pttlMs]);
  }
  const tolerable = votes.length - quorum;
  let top: number[] = [];
  for (const pttls of holders.values()) if (pttls.length > top.length) top = pttls;
  if (top.length >= quorum) return { kind: 'held', retryAfterMs: freesIn(top, quorum) };
  if (failed > tolerable) return FAILED;
  if (pending > 0) return undefined;
  if (granted + contended < quorum) return FAILED;
  // Enough nodes answered and none holds a majority among them. (A holder could still have one
  // with a failed node's vote; treating that rare case as a split costs a few quick retries,
  // whereas treating every split with a node down as held would stall all its contenders.)
  return SPLIT;
}

/**
 * When a holder seen on `pttls.length` nodes drops below `quorum` of them: once the
 * (count − quorum + 1)-th shortest lease ran out. `undefined` when a key has no expiry.
 */
function freesIn(pttls: readonly number[], quorum: number): number | undefined {
  if (pttls.some((pttl) => pttl < 0)) return undefined;
  const sorted = [...pttls].sort((a, b) => a - b);
  return sorted[pttls.length - quorum];
}

/** What one node answered to an extend or a release of one lease. */
export type OwnerVote =
  | { readonly kind: 'done'; readonly expiresAt: number }
  | { readonly kind: 'not-held' }
  | { readonly kind: 'failed'; readonly failure: NodeFailure };

/** An extend or release: done on a majority, not held on too many nodes to be, or unknown. */
export type OwnerDecision = 'done' | 'not-held' | 'failed';

/**
 * Decides an extend or a release: `done` once a majority did it, `not-held` once so many nodes said
 * the owner has nothing there that no majority can, `failed` when the failures leave it unknown.
 */
export function decideOwnerCall(
  votes: readonly (OwnerVote | undefined)[],
  quorum: number,
  final: boolean,
): OwnerDecision | undefined {
  let done = 0;
  let notHeld = 0;
  let failed = 0;
  let pending = 0;
  for (const vote of votes) {
    if (vote === undefined) {
      if (final) failed++;
      else pending++;
    } else if (vote.kind === 'done') done++;
    else if (vote.kind === 'not-held') notHeld++;
    else failed++;
  }
  const tolerable = votes.length - quorum;
  if (done >= quorum) return 'done';
  if (notHeld > tolerable) return 'not-held';
  if (notHeld + failed <= tolerable) return undefined;
  // A majority can no longer do it; wait only while the missing answers could still say not-held.
  return notHeld + pending > tolerable ? undefined : 'failed';
}

/** What one node answered to an inspect of one key. */
export type InspectVote =
  | {
      readonly kind: 'held';
      readonly owner: string;
      readonly token: bigint;
      readonly expiresAt: number;
    }
  | { readonly kind: 'free' }
  | { readonly kind: 'failed'; readonly failure: NodeFailure };

/** The lease a majority agrees on, `null` when no owner holds (or can hold) a majority. */
export type InspectDecision =
  | { readonly kind: 'held'; readonly owner: string; readonly votes: readonly InspectVote[] }
  | { readonly kind: 'free' }
  | { readonly kind: 'failed' };

/** Decides an inspect: the owner seen on a majority, free when none can be, failed if unknown. */
export function decideInspect(
  votes: readonly (InspectVote | undefined)[],
  quorum: number,
  final: boolean,
): InspectDecision | undefined {
  let unknown = 0;
  const byOwner = new Map<string, InspectVote[]>();
  for (const vote of votes) {
    if (vote === undefined) {
      unknown++;
    } else if (vote.kind === 'failed') unknown++;
    else if (vote.kind === 'held') {
      const same = byOwner.get(vote.owner);
      if (same) same.push(vote);
      else byOwner.set(vote.owner, [vote]);
    }
  }
  let top: InspectVote[] = [];
  let owner = '';
  for (const [candidate, same] of byOwner) {
    if (same.length > top.length) [owner, top] = [candidate, same];
  }
  if (top.length >= quorum) return { kind: 'held', owner, votes: top };
  if (top.length + unknown < quorum) return { kind: 'free' };
  const pending = votes.filter((vote) => vote === undefined).length;
  return final || pending === 0 ? { kind: 'failed' } : undefined;
}
