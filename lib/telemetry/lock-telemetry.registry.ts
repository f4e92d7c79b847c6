import type { LockManager } from '../manager/lock-manager.js';

/** Span attributes, in this package's own terms (no type from the optional peer leaks out). */
export type SpanAttributes = Record<string, string | number | boolean>;

/** Runs `fn` in a span (`@Locked()` runs): the acquire inside it becomes its child. */
export type RunInSpan = <T>(
  name: string,
  attributes: SpanAttributes,
  fn: () => Promise<T>,
) => Promise<T>;

/** The listeners and tracer set up on one manager. */
export interface Instruments {
  readonly runInSpan: RunInSpan | undefined;
  stop(): void;
}

/** The instruments of each instrumented manager. */
export const instrumented = new WeakMap<LockManager, Instruments>();

/** The span runner of an instrumented manager (for `@Locked()` runs), if it records spans. */
export function runInSpanOf(manager: LockManager): RunInSpan | undefined {
  return instrumented.get(manager)?.runInSpan;
}
