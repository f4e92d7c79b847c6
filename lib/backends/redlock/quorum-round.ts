import type { RedisScript, ScriptCall, ScriptReply } from '../redis/redis-script.js';
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

export interface QuorumRound<In, R extends ScriptReply> {
  readonly nodes: readonly QuorumNode[];
  /**
   * The script every node runs, with its input. A node whose reply is not of the script's shape
   * counts as failed, with the script's `RedisScriptReplyError` as the cause.
   */
  readonly script: RedisScript<In, R>;
  readonly input: In;
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
export function runQuorumRound<In, R extends ScriptReply>(
  round: QuorumRound<In, R>,
): Promise<RoundSilence> {
  return new Promise((resolve) => new RoundRun(round, resolve).start());
}

/** One round in flight: its own deadline entry, so that a round allocates nothing more. */
class RoundRun<In, R extends ScriptReply> implements Timed {
  deadlineAt = 0;
  ended = false;
  #open: number;
  /** The KEYS and ARGV every node gets, made once. */
  readonly #call: ScriptCall;
  /** Which nodes answered (or were skipped). */
  readonly #answered: boolean[];
  /** Which nodes the call was sent to. */
  readonly #sent: boolean[];

  constructor(
    private readonly round: QuorumRound<In, R>,
    private readonly resolve: (silence: RoundSilence) => void,
  ) {
    this.#call = round.script.call(round.input);
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
    const { script, input } = this.round;
    node.send(
      script,
      this.#call,
      (raw) => {
        if (!counted) return;
        let value: R;
        try {
          value = script.parse(raw, input, 'redlock');
        } catch (error) {
          this.#record(i, { ok: false, failure: node.failure(error) });
          return;
        }
        this.#record(i, { ok: true, value });
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
