import { LockBackendError } from '../../core/errors.js';

/**
 * What one Redlock node did in the failed call: `granted` (it did what was asked), `contended`
 * (another owner holds the key there), `not-held` (the owner has nothing there), or why it gave no
 * usable answer: `unreachable` (not connected), `timeout` (no answer in time: the call may still
 * land) or `error` (it answered with an error).
 */
export type RedlockNodeOutcome =
  | 'granted'
  | 'contended'
  | 'not-held'
  | 'unreachable'
  | 'timeout'
  | 'error';

/** One node's part in a failed quorum call. */
export interface RedlockNodeReport {
  /** The node, as `host:port`. */
  readonly node: string;
  readonly outcome: RedlockNodeOutcome;
  /** The error behind `unreachable`, `timeout` and `error`. */
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
  const answered = nodes.filter((report) => !isFailure(report.outcome)).length;
  const head =
    problem ?? `${answered} of ${nodes.length} nodes answered, a decision needs ${quorum}`;
  const each = nodes.map(
    ({ node, outcome, cause }) => `${node} ${outcome}${cause ? ` (${cause.message})` : ''}`,
  );
  return `${head}: ${each.join('; ')}`;
}

function isFailure(outcome: RedlockNodeOutcome): boolean {
  return outcome === 'unreachable' || outcome === 'timeout' || outcome === 'error';
}
