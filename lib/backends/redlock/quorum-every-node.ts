import type { QuorumContext } from './quorum-context.js';
import type { QuorumNode } from './quorum-node.js';
import type { NodeAnswer } from './quorum-round.js';

/**
 * Runs `call` on every node at once and waits for all of them: each node's answer, or why it has
 * none. A node whose connection is down is skipped (counted unreachable, sent nothing), as a
 * quorum round does; `call` bounds its own calls. Never rejects. For the directory, whose calls
 * are not one script each (a listing is many SCANs) and wait for every node, not a majority.
 */
export function onEveryNode<R>(
  context: QuorumContext,
  call: (node: QuorumNode) => Promise<R>,
): Promise<NodeAnswer<R>[]> {
  return Promise.all(
    context.nodes.map(async (node): Promise<NodeAnswer<R>> => {
      if (!node.connected) return { ok: false, failure: node.skipped() };
      try {
        return { ok: true, value: await call(node) };
      } catch (error) {
        return { ok: false, failure: node.failure(error) };
      }
    }),
  );
}
