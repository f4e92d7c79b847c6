import { withTimeout } from '../../contract/deadlines.js';
import type { QuorumContext } from './quorum-context.js';
import type { QuorumNode } from './quorum-node.js';
import { ADOPT_TOKEN, type Adoption } from './scripts/adopt-token.lua.js';

/**
 * Asks `node` to carry each lease of `adoptions` under its majority's fencing token (see
 * `ADOPT_TOKEN_LUA`). Per lease, whether the node does now: `false` also when the node failed,
 * answered with a reply of another shape, or had not answered within `waitMs`.
 */
export async function adoptTokens(
  context: QuorumContext,
  node: QuorumNode,
  adoptions: readonly Adoption[],
  waitMs: number,
): Promise<boolean[]> {
  const adopted = await withDeadline(
    node.run(ADOPT_TOKEN, { adoptions, fenceRetentionMs: context.fenceRetentionMs }),
    waitMs,
  );
  return adoptions.map((_, i) => adopted?.[i] === true);
}

/**
 * Sends the adoptions of a node that answered after its round was decided, without waiting: a
 * grant it does not adopt is undone by the release that follows it on the same connection.
 */
export function adoptLate(
  context: QuorumContext,
  node: QuorumNode,
  adoptions: readonly Adoption[],
): void {
  node
    .run(ADOPT_TOKEN, { adoptions, fenceRetentionMs: context.fenceRetentionMs })
    .catch(() => undefined);
}

/** `call`'s result, or `undefined` when it fails or has not answered after `ms`. */
function withDeadline<T>(call: Promise<T>, ms: number): Promise<T | undefined> {
  return withTimeout(call, ms).catch(() => undefined);
}
