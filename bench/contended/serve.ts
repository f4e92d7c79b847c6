import type { ParentMessage, WorkerMessage } from './protocol.js';

/** What a worker process does on its parent's messages (the other side of worker-pool.ts). */
export interface WorkerHandlers<Run, Ready, Done> {
  /** Resolves once connected, with what the parent should know of this worker. */
  readonly ready: Promise<Ready>;
  run(message: Run): Promise<Done>;
  /** Closes every connection, so that the process can exit. */
  close(): Promise<void>;
}

/**
 * Serves the parent's run and stop messages in a forked worker process: answers each run with its
 * result and any failure with a `failed` message, and says `ready` once `handlers.ready` resolves.
 */
export function serve<Run, Ready, Done>(handlers: WorkerHandlers<Run, Ready, Done>): void {
  const send = (message: WorkerMessage<Ready, Done>): void => {
    process.send!(message);
  };
  const fail = (error: unknown): void =>
    send({
      type: 'failed',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  process.on('message', (message: ParentMessage<Run>) => {
    if (message.type === 'run') {
      handlers.run(message).then((done) => send({ type: 'done', ...done }), fail);
    } else {
      handlers.close().then(() => process.disconnect(), fail);
    }
  });
  // The parent is gone (stopped with Ctrl-C, or it crashed; maybe while this worker was still
  // loading): nobody will ask this worker to stop, and its clients would retry a stopped server
  // forever.
  process.once('disconnect', () => process.exit(0));
  if (!process.connected) process.exit(0);
  handlers.ready.then((ready) => send({ type: 'ready', ...ready }), fail);
}
