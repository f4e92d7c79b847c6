import type { QuorumNode } from './quorum-node.js';
import type { NodeFailure } from './quorum-outcome.js';
import type { RoundDeadlines } from './round-deadlines.js';

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
  readonly call: (node: QuorumNode) => Promise<R>;
  /** Takes node `index`'s answer; returns whether the answers so far decide the round. */
  readonly settled: (index: number, answer: NodeAnswer<R>) => boolean;
  /** How long to wait for the answers, in ms; a node silent by then counts as timed out. */
  readonly deadlineMs: number;
  readonly deadlines: RoundDeadlines;
  readonly disconnected: DisconnectedNodes;
  /** Receives an answer that came after the round was decided. */
  readonly late?: (index: number, answer: NodeAnswer<R>) => void;
}

/**
 * Sends one call to every node at once and collects the answers until they decide the round,
 * every node answered, or the deadline passed (checked by the backend's one sweeping interval).
 * Every answer that counts goes to `settled`; a node that has none by the end was silent. Never
 * rejects.
 */
export function runQuorumRound<R>(round: QuorumRound<R>): Promise<void> {
  const { nodes, settled, deadlineMs } = round;
  const answered = new Array<boolean>(nodes.length).fill(false);
  return new Promise((resolve) => {
    let open = nodes.length;
    let done = false;
    let cancel: (() => void) | undefined;
    const finish = (): void => {
      if (done) return;
      done = true;
      cancel?.();
      resolve();
    };
    const record = (i: number, answer: NodeAnswer<R>): void => {
      if (done) {
        round.late?.(i, answer);
        return;
      }
      if (answered[i]) return;
      answered[i] = true;
      open--;
      if (settled(i, answer) || open === 0) finish();
    };
    const send = (i: number, node: QuorumNode, counted: boolean): void => {
      round.call(node).then(
        (value) => {
          if (counted) record(i, { ok: true, value });
        },
        (error: unknown) => {
          if (counted) record(i, { ok: false, failure: node.failure(error) });
        },
      );
    };

    // Disconnected nodes first: when they alone decide the round, nothing is sent to the others.
    const live: number[] = [];
    nodes.forEach((node, i) => {
      if (node.connected) live.push(i);
      else {
        if (round.disconnected === 'queue') send(i, node, false);
        record(i, { ok: false, failure: node.skipped() });
      }
    });
    if (done) return;
    cancel = round.deadlines.add(deadlineMs, finish);
    for (const i of live) send(i, nodes[i]!, true);
  });
}
