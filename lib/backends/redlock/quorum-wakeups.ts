import type { Unsubscribe } from '../../contract/lock-backend.js';
import { nodeReport, type QuorumContext } from './quorum-context.js';
import type { NodeFailure } from './quorum-outcome.js';
import { RedlockQuorumError } from './redlock-quorum.error.js';

/**
 * Subscribes `onRelease` to `channel` on every node, and resolves once a majority confirmed: a
 * release reaches at least a majority too, and two majorities share a node, so no release is
 * missed. Rejects with a {@link RedlockQuorumError} when a majority cannot confirm; the waiter then
 * falls back to polling. Subscriptions confirmed later are kept, and dropped with the rest.
 */
export function quorumSubscribe(
  context: QuorumContext,
  key: string,
  channel: string,
  onRelease: () => void,
): Promise<Unsubscribe> {
  const { nodes, quorum, commandTimeoutMs } = context;
  const stops: Unsubscribe[] = [];
  let stopped = false;
  const unsubscribe: Unsubscribe = () => {
    stopped = true;
    for (const stop of stops.splice(0)) stop();
  };
  return new Promise((resolve, reject) => {
    const failures = new Array<NodeFailure | undefined>(nodes.length).fill(undefined);
    let confirmed = 0;
    let failed = 0;
    let settled = false;
    nodes.forEach((node, i) => {
      const fail = (failure: NodeFailure): void => {
        failures[i] = failure;
        if (++failed <= nodes.length - quorum || settled) return;
        settled = true;
        unsubscribe();
        reject(
          new RedlockQuorumError(
            'subscribe',
            key,
            nodes.map((each, j) => nodeReport(each, failures[j] ?? 'granted')),
            quorum,
          ),
        );
      };
      if (!node.connected) {
        fail(node.skipped());
        return;
      }
      node.wakeups.subscribe(channel, onRelease, commandTimeoutMs).then(
        (stop) => {
          if (stopped) {
            stop();
            return;
          }
          stops.push(stop);
          if (++confirmed === quorum && !settled) {
            settled = true;
            resolve(unsubscribe);
          }
        },
        (error: unknown) => fail(node.failure(error)),
      );
    });
  });
}
