/** Receives the library's warnings, with their stable code (`NESTJS_LOCKER_REDIS_CONFIG` ...). */
export type WarningSink = (message: string, code: string) => void;

const sinks: WarningSink[] = [];
const warnedOnce = new Set<string>();

/**
 * Where the library's own warnings go: a process warning by default, or the sink a running
 * `LockModule` routes them to (Nest's `Logger`), so that a Nest app sees them in its log. The core
 * and the backends stay free of Nest: they only call {@link emit}.
 */
export const libraryWarnings = {
  /** Sends warnings to `sink` (the latest routed sink wins) until the returned function runs. */
  route(sink: WarningSink): () => void {
    sinks.push(sink);
    return () => {
      const at = sinks.lastIndexOf(sink);
      if (at >= 0) sinks.splice(at, 1);
    };
  },
  /** One warning; with `once`, a message already given in this process is not given again. */
  emit(message: string, code: string, options: { once?: boolean } = {}): void {
    if (options.once) {
      if (warnedOnce.has(message)) return;
      warnedOnce.add(message);
    }
    const sink = sinks.at(-1);
    if (sink) sink(message, code);
    else process.emitWarning(message, { code });
  },
};
