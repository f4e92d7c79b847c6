import type { RedisScript } from '../redis/redis-script.js';
import type { Deadlines, Timed } from '../shared/deadlines.js';
import type { QuorumNode } from './quorum-node.js';
import type { NodeFailure } from './quorum-outcome.js';

/** One node's answer to a round: its reply, or why there is none. */
export type NodeAnswer<R> =
  | { readonly ok: true; readonly value: R }
  | { readonly ok: false; readonly failure: NodeFailure };

/** How a round treats a node whose connection is down. */
export type DisconnectedNodes =
  /** Count it as unreachable and send nothing (acquire, extend, inspect). */
  | 'skip'
  /**
   * Count it as unreachable, but still send the call, which ioredis queues until it reconnects:
   * for releases, which must follow an earlier call that may still be queued there.
   */
  | 'queue';

export interface QuorumRound<R> {
  readonly nodes: readonly QuorumNode[];
  /** The script every node runs, with its keys and arguments. */
  readonly script: RedisScript;
  readonly keys: readonly string[];
  readonly args: readonly (string | number)[];
  /** Takes node `index`'s answer; returns whether the answers so far decide the round. */
  readonly settled: (index: number, answer: NodeAnswer<R>) => boolean;
  /** How long to wait for the answers, in ms; a node silent by then counts as timed out. */
  readonly deadlineMs: number;
  readonly deadlines: Deadlines;
  readonly disconnected: DisconnectedNodes;
  /** Receives an answer that came after the round was decided. */
  readonly late?: (index: number, answer: NodeAnswer<R>) => void;
}

/**
 * Why each node has no answer when a round ended (`undefined` for the nodes that answered):
 * timed out (or unreachable) when the deadline passed, `unanswered` when the other nodes decided
 * the round first, `not-sent` when the nodes out of reach decided it before anything was sent.
 */
export type RoundSilence = readonly (NodeFailure | undefined)[];

/**
 * Sends one script run to every node at once and collects the answers until they decide the
 * round, every node answered, or the deadline passed (checked by the backend's one sweeping
 * interval). Every answer that counts goes to `settled`; resolves with why the other nodes have
 * none. Never rejects.
 */
export function runQuorumRound<R>(round: QuorumRound<R>): Promise<RoundSilence> {
  return new Promise((resolve) => new RoundRun(round, resolve).start());
}

/** One round in flight: its own deadline entry, so that a round allocates nothing more. */
class RoundRun<R> implements Timed {
  deadlineAt = 0;
  ended = false;
  #open: number;
  /** Which nodes answered (or were skipped). */
  readonly #answered: boolean[];
  /** Which nodes the call was sent to. */
  readonly #sent: boolean[];

  constructor(
    private readonly round: QuorumRound<R>,
    private readonly resolve: (silence: RoundSilence) => void,
  ) {
    this.#open = round.nodes.length;
    this.#answered = new Array<boolean>(round.nodes.length).fill(false);
    this.#sent = new Array<boolean>(round.nodes.length).fill(false);
  }

  start(): void {
    const { nodes, disconnected } = this.round;
    // Disconnected nodes first: when they alone decide the round, nothing is sent to the others.
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      if (node.connected) continue;
      if (disconnected === 'queue') this.#send(i, node, false);
      this.#record(i, { ok: false, failure: node.skipped() });
    }
    if (this.ended) return;
    this.deadlineAt = performance.now() + this.round.deadlineMs;
    this.round.deadlines.add(this);
    for (let i = 0; i < nodes.length; i++) if (!this.#answered[i]) this.#send(i, nodes[i]!, true);
  }

  /** The deadline passed. */
  expire(): void {
    this.#end(true);
  }

  #end(byDeadline: boolean): void {
    if (this.ended) return;
    this.ended = true;
    const { nodes, deadlineMs } = this.round;
    this.resolve(
      nodes.map((node, i) => {
        if (this.#answered[i]) return undefined;
        if (!this.#sent[i]) return node.notSent();
        return byDeadline ? node.silent(deadlineMs) : node.unanswered();
      }),
    );
  }

  #send(i: number, node: QuorumNode, counted: boolean): void {
    this.#sent[i] = true;
    const { script, keys, args } = this.round;
    node.send(
      script,
      keys,
      args,
      (value) => {
        if (counted) this.#record(i, { ok: true, value: value as R });
      },
      (error) => {
        if (counted) this.#record(i, { ok: false, failure: node.failure(error) });
      },
    );
  }

  #record(i: number, answer: NodeAnswer<R>): void {
    if (this.ended) {
      this.round.late?.(i, answer);
      return;
    }
    if (this.#answered[i]) return;
    this.#answered[i] = true;
    this.#open--;
    if (this.round.settled(i, answer) || this.#open === 0) this.#end(false);
  }
}
