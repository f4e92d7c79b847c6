import type { AcquireResult } from '../../contract/lock-backend.js';
import type { AcquireRequest } from '../shared/lease-requests.js';
import { adoptLate, adoptTokens } from './quorum-adopt.js';
import { nodeReport, type QuorumContext } from './quorum-context.js';
import type { QuorumNode } from './quorum-node.js';
import {
  type AcquireDecision,
  type AcquireVote,
  decideAcquire,
  driftMs,
} from './quorum-outcome.js';
import { type NodeAnswer, runQuorumRound } from './quorum-round.js';
import { undoAcquires } from './quorum-undo.js';
import { RedlockQuorumError } from './redlock-quorum.error.js';
import type { Adoption } from './scripts/adopt-token.lua.js';
import { type NodeAcquireVote, QUORUM_ACQUIRE } from './scripts/quorum-acquire.lua.js';

/**
 * How often an acquire is tried again, at once, after concurrent contenders split the votes so
 * that none got a majority (each backs off a random 0–4, 0–8, 0–16 ms, so one of them gets in).
 */
const SPLIT_RETRIES = 3;
const SPLIT_BACKOFF_MS = 4;

export type { AcquireRequest } from '../shared/lease-requests.js';

/** An acquire's result, or the error of that one key (others in its batch may have succeeded). */
export type AcquireOutcome = AcquireResult | RedlockQuorumError;

/** One key's votes and, once known, their decision. */
interface Tally {
  readonly request: AcquireRequest;
  readonly votes: (AcquireVote | undefined)[];
  decision: AcquireDecision | undefined;
  /** The majority's fencing token once granted: what late nodes must agree with. */
  token: number | undefined;
  /** When the attempt was sent, on the client's wall clock: a node's lease ends ttl after. */
  readonly sentAtMs: number;
}

/**
 * The Redlock acquire of a batch of keys: one script run on every node in parallel, each key
 * granted when a majority granted it within its validity (ttl − elapsed − drift). The majority's
 * fencing token is the highest of theirs; nodes that issued a lower one adopt it before the lease
 * is handed out. A key that is not granted is released again everywhere it may have been taken.
 */
export class QuorumAcquire {
  constructor(private readonly context: QuorumContext) {}

  async acquire(requests: readonly AcquireRequest[], attempt = 0): Promise<AcquireOutcome[]> {
    const { tallies, startedAt } = await this.#vote(requests);
    const pending = this.#settle(tallies, startedAt);
    const results = Array.isArray(pending) ? pending : await pending;
    const undo: Tally[] = [];
    for (let i = 0; i < tallies.length; i++) {
      const result = results[i];
      if (!result || result instanceof RedlockQuorumError) undo.push(tallies[i]!);
    }
    if (undo.length === 0) return results as AcquireOutcome[];
    await undoAcquires(this.context, undo);

    const split = tallies.flatMap((tally, i) =>
      tally.decision?.kind === 'split' && attempt < SPLIT_RETRIES ? [i] : [],
    );
    if (split.length > 0) {
      await sleep(Math.random() * SPLIT_BACKOFF_MS * 2 ** attempt);
      const retried = await this.acquire(
        split.map((i) => tallies[i]!.request),
        attempt + 1,
      );
      split.forEach((i, j) => {
        results[i] = retried[j];
      });
    }
    return results.map((result, i) => result ?? this.#miss(tallies[i]!));
  }

  /** One round of votes: every node runs the acquire script on the whole batch. */
  async #vote(requests: readonly AcquireRequest[]) {
    const { nodes, quorum, commandTimeoutMs, clockDriftFactor, fenceRetentionMs } = this.context;
    const proposed = proposedToken();
    const sentAtMs = Math.floor(proposed / 1000);
    let shortestValidityMs = Number.POSITIVE_INFINITY;
    for (const request of requests) {
      const validity = request.ttlMs - driftMs(request.ttlMs, clockDriftFactor);
      shortestValidityMs = Math.min(shortestValidityMs, validity);
    }
    const tallies: Tally[] = [];
    for (const request of requests) {
      tallies.push({
        request,
        votes: new Array<AcquireVote | undefined>(nodes.length).fill(undefined),
        decision: undefined,
        token: undefined,
        sentAtMs,
      });
    }
    let undecided = tallies.length;
    const startedAt = performance.now();
    const silence = await runQuorumRound({
      nodes,
      script: QUORUM_ACQUIRE,
      input: { locks: requests, proposed: String(proposed), fenceRetentionMs },
      disconnected: 'skip',
      deadlines: this.context.deadlines,
      deadlineMs: Math.max(1, Math.min(commandTimeoutMs, shortestValidityMs)),
      settled: (i, answer) => {
        for (let j = 0; j < tallies.length; j++) {
          const tally = tallies[j]!;
          tally.votes[i] = answer.ok
            ? answer.value[j]!
            : { kind: 'failed', failure: answer.failure };
          if (tally.decision) continue;
          tally.decision = decideAcquire(tally.votes, quorum, false);
          if (tally.decision) undecided--;
        }
        return undecided === 0;
      },
      late: (i, answer) => this.#late(tallies, i, answer),
    });
    // A node without an answer is told apart (timed out, decided without it, never asked), for
    // the error report and so that nothing is undone where nothing was sent.
    for (const tally of tallies) {
      for (let i = 0; i < nodes.length; i++) {
        const failure = silence[i];
        if (failure) tally.votes[i] ??= { kind: 'failed', failure };
      }
      tally.decision ??= decideAcquire(tally.votes, quorum, true);
    }
    return { tallies, startedAt };
  }

  /**
   * Turns granted tallies into leases: checks the validity window, makes the majority agree on
   * the fencing token, and fails the key if that leaves too few nodes or too little time.
   */
  #settle(
    tallies: readonly Tally[],
    startedAt: number,
  ): (AcquireOutcome | undefined)[] | Promise<(AcquireOutcome | undefined)[]> {
    let adoptions: Map<QuorumNode, Tally[]> | undefined;
    for (const tally of tallies) {
      if (tally.decision?.kind !== 'granted') continue;
      let token = 0;
      for (const vote of tally.votes)
        if (vote?.kind === 'granted' && vote.token > token) token = vote.token;
      tally.token = token;
      for (let i = 0; i < tally.votes.length; i++) {
        const vote = tally.votes[i];
        if (vote?.kind !== 'granted' || vote.token === token) continue;
        const node = this.context.nodes[i]!;
        adoptions ??= new Map();
        adoptions.set(node, [...(adoptions.get(node) ?? []), tally]);
      }
    }
    if (adoptions) {
      return this.#adopt(adoptions, startedAt).then(() => this.#leases(tallies, startedAt));
    }
    return this.#leases(tallies, startedAt);
  }

  /** The outcome of each key once its majority agrees on the token (or could not). */
  #leases(tallies: readonly Tally[], startedAt: number): (AcquireOutcome | undefined)[] {
    const elapsedMs = performance.now() - startedAt;
    const outcomes: (AcquireOutcome | undefined)[] = [];
    for (const tally of tallies) outcomes.push(this.#lease(tally, elapsedMs));
    return outcomes;
  }

  /** One key's lease, its error, or `undefined` when it was not granted. */
  #lease(tally: Tally, elapsedMs: number): AcquireOutcome | undefined {
    const decision = tally.decision!;
    if (decision.kind === 'failed') return this.#error(tally);
    if (decision.kind !== 'granted') return undefined;
    const { ttlMs, key } = tally.request;
    let agreeing = 0;
    for (const vote of tally.votes)
      if (vote?.kind === 'granted' && vote.token === tally.token) agreeing++;
    const validityMs = ttlMs - elapsedMs - driftMs(ttlMs, this.context.clockDriftFactor);
    if (agreeing < this.context.quorum) {
      return this.#error(tally, 'too few nodes took the majority fencing token');
    }
    if (validityMs <= 0) {
      return this.#error(
        tally,
        `a majority granted "${key}" only after ${Math.round(elapsedMs)} ms, which leaves no validity of its ${ttlMs} ms ttl`,
      );
    }
    return {
      acquired: true,
      fencingToken: BigInt(tally.token!),
      // Every node's lease runs ttl from when it was asked: the earliest bound is the attempt's.
      expiresAt: tally.sentAtMs + ttlMs,
    };
  }

  /** Raises the lower tokens of granted majorities; a node that fails it no longer agrees. */
  async #adopt(adoptions: Map<QuorumNode, Tally[]>, startedAt: number): Promise<void> {
    const { nodes, commandTimeoutMs } = this.context;
    const waitMs = Math.max(1, commandTimeoutMs - (performance.now() - startedAt));
    await Promise.all(
      [...adoptions].map(async ([node, tallies]) => {
        const i = nodes.indexOf(node);
        const adopted = await adoptTokens(this.context, node, tallies.map(adoptionOf), waitMs);
        tallies.forEach((tally, j) => {
          const vote = tally.votes[i];
          if (adopted[j] && vote?.kind === 'granted') {
            tally.votes[i] = { kind: 'granted', token: tally.token! };
          } else {
            tally.votes[i] = { kind: 'failed', failure: node.silent(waitMs) };
          }
        });
      }),
    );
  }

  /**
   * A node answered after the round was decided. Until the majority's token is known its vote
   * still counts; after, a grant under another token must adopt it (or be dropped), so that every
   * node holding the lease agrees. A grant of a key that was not acquired is undone by the release
   * that follows it on the same connection.
   */
  #late(tallies: readonly Tally[], i: number, answer: NodeAnswer<NodeAcquireVote[]>): void {
    if (!answer.ok) return;
    const mismatched: Tally[] = [];
    for (let j = 0; j < tallies.length; j++) {
      const tally = tallies[j]!;
      const vote = answer.value[j]!;
      if (tally.token === undefined) tally.votes[i] = vote;
      else if (vote.kind === 'granted' && vote.token !== tally.token) mismatched.push(tally);
    }
    if (mismatched.length > 0) {
      adoptLate(this.context, this.context.nodes[i]!, mismatched.map(adoptionOf));
    }
  }

  #miss(tally: Tally): AcquireResult {
    const decision = tally.decision;
    // After a split that retries did not resolve, nobody holds the key: try again soon.
    return { acquired: false, retryAfterMs: decision?.kind === 'held' ? decision.retryAfterMs : 0 };
  }

  #error(tally: Tally, problem?: string): RedlockQuorumError {
    const reports = tally.votes.map((vote, i) => {
      const node = this.context.nodes[i]!;
      if (vote === undefined) return nodeReport(node, node.silent(this.context.commandTimeoutMs));
      return nodeReport(node, vote.kind === 'failed' ? vote.failure : vote.kind);
    });
    return new RedlockQuorumError(
      'acquire',
      tally.request.key,
      reports,
      this.context.quorum,
      problem,
    );
  }
}

/** What a node must adopt for a granted tally: its majority's token. */
function adoptionOf(tally: Tally): Adoption {
  return { key: tally.request.key, owner: tally.request.owner, token: tally.token! };
}

/**
 * The fencing token this client proposes: its clock in µs, from the monotonic clock anchored at
 * process start, so it never steps back within a process even if the wall clock does.
 */
function proposedToken(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
