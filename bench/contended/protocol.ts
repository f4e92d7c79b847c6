/**
 * Messages between a multi-process scenario (parent) and its worker processes, over fork IPC: the
 * envelopes every pool shares, then the contended scenario's own bodies.
 */

/** Parent to worker: do one run described by `Run`, or close everything and exit. */
export type ParentMessage<Run> = ({ readonly type: 'run' } & Run) | { readonly type: 'stop' };

/** Worker to parent: connected and ready (`Ready`), one run's result (`Done`), or a failure. */
export type WorkerMessage<Ready, Done> =
  | ({ readonly type: 'ready' } & Ready)
  | ({ readonly type: 'done' } & Done)
  | FailedMessage;

/** Worker to parent: something went wrong; the run is void. */
export interface FailedMessage {
  readonly type: 'failed';
  readonly message: string;
}

/** Contended run: `contestant` on `key` for `durationMs`, holding each lock `holdMs`. */
export interface RunMessage {
  readonly contestant: string;
  readonly key: string;
  readonly durationMs: number;
  readonly holdMs: number;
  readonly ttlMs: number;
}

/** Contended worker ready, with the contestants it has. */
export interface ReadyMessage {
  readonly contestants: readonly { readonly name: string; readonly description: string }[];
}

/** What one contended run did. */
export interface DoneMessage {
  /** Locks taken (acquires started before the run's end). */
  readonly ops: number;
  /** How long each acquire waited, in ms, in order. */
  readonly waitsMs: number[];
  /**
   * When each lock was taken, in ms on the machine's clock (`performance.timeOrigin + now()`),
   * comparable between the processes: who took the lock after whom.
   */
  readonly takenAt: number[];
  /** From the run message to the last release, in ms. */
  readonly elapsedMs: number;
  /** The worker process's CPU time (user + system) over the run, in µs, the held work included. */
  readonly cpuUs: number;
}
