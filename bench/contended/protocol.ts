/** Messages between the contended scenario (parent) and its worker processes, over fork IPC. */

/** Parent to worker: run `contestant` on `key` for `durationMs`, holding each lock `holdMs`. */
export interface RunMessage {
  readonly type: 'run';
  readonly contestant: string;
  readonly key: string;
  readonly durationMs: number;
  readonly holdMs: number;
  readonly ttlMs: number;
}

/** Parent to worker: close everything and exit. */
export interface StopMessage {
  readonly type: 'stop';
}

export type ParentMessage = RunMessage | StopMessage;

/** Worker to parent: connected and ready for runs, with the contestants it has. */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly contestants: readonly { readonly name: string; readonly description: string }[];
}

/** Worker to parent: what one run did. */
export interface DoneMessage {
  readonly type: 'done';
  /** Locks taken (acquires started before the run's end). */
  readonly ops: number;
  /** How long each acquire waited, in ms, in order. */
  readonly waitsMs: number[];
  /** From the run message to the last release, in ms. */
  readonly elapsedMs: number;
}

/** Worker to parent: something went wrong; the run is void. */
export interface FailedMessage {
  readonly type: 'failed';
  readonly message: string;
}

export type WorkerMessage = ReadyMessage | DoneMessage | FailedMessage;
