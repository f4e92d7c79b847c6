import { LockBackendError } from '../../contract/errors.js';

/**
 * What one Redlock node did in the failed call: `granted` (it did what was asked), `contended`
 * (another owner holds the key there), `not-held` (the owner has nothing there), or why it gave no
 * usable answer: `unreachable` (not connected: refused, reset, reconnecting), `timeout` (no answer
 * within the deadline: the call may still land), `error` (it answered with an error),
 * `unanswered` (the other nodes decided the call before this one answered) or `not-sent` (the
 * nodes out of reach decided the call before it was sent here).
 */
export type RedlockNodeOutcome =
  | 'granted'
  | 'contended'
  | 'not-held'
  | 'unreachable'
  | 'timeout'
  | 'error'
  | 'unanswered'
  | 'not-sent';

/** One node's part in a failed quorum call. */
export interface RedlockNodeReport {
  /** The node, as `host:port`. */
  readonly node: string;
  readonly outcome: RedlockNodeOutcome;
  /** The error behind `unreachable`, `timeout` and `error`, or what kept the node out of it. */
  readonly cause?: Error;
}

/**
 * A Redlock call could not reach a decision: too few nodes answered for a majority to say yes or no
 * (or the majority came too late to leave the lease any validity). A `LockBackendError` (code
 * `LOCK_BACKEND_ERROR`), so code that handles store failures handles this one too; `nodes` says
 * what each node did, and `cause` is an `AggregateError` of the nodes' own errors.
 *
 * @example
 * ```ts
 * try {
 *   await locks.acquire('report');
 * } catch (err) {
 *   if (err instanceof RedlockQuorumError) {
 *     for (const { node, outcome } of err.nodes) log.warn(`${node}: ${outcome}`);
 *   }
 * }
 * ```
 */
export class RedlockQuorumError extends LockBackendError {
  constructor(
    operation: string,
    key: string | undefined,
    /** What every node did, in the order the nodes were given. */
    readonly nodes: readonly RedlockNodeReport[],
    /** How many nodes make a majority. */
    readonly quorum: number,
    /** Why the answers did not add up, when it was not simply too few of them. */
    problem?: string,
  ) {
    const causes = nodes.flatMap((report) => (report.cause ? [report.cause] : []));
    super('redlock', operation, key, new AggregateError(causes, summary(nodes, quorum, problem)));
  }
}

function summary(
  nodes: readonly RedlockNodeReport[],
  quorum: number,
  problem: string | undefined,
): string {
  const answered = nodes.filter((report) => ANSWERED.has(report.outcome)).length;
  const head =
    problem ?? `${answered} of ${nodes.length} nodes answered, a decision needs ${quorum}`;
  const each = nodes.map(
    ({ node, outcome, cause }) => `${node} ${outcome}${cause ? ` (${cause.message})` : ''}`,
  );
  return `${head}: ${each.join('; ')}`;
}

/** The outcomes of a node that gave a usable answer. */
const ANSWERED: ReadonlySet<RedlockNodeOutcome> = new Set(['granted', 'contended', 'not-held']);
