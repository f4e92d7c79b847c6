import { type ChildProcess, fork } from 'node:child_process';
import type { ParentMessage, WorkerMessage } from './protocol.js';

/**
 * Separate Node processes forked from one worker script that run on command: every run goes to
 * all of them at once. `Run` is what a run message carries, `Ready` what each worker says once
 * connected and `Done` what it answers a run with (see protocol.ts; the worker side is serve.ts).
 */
export class WorkerPool<Run, Ready, Done> {
  private constructor(
    private readonly children: readonly ChildProcess[],
    /** What each worker said when ready, in worker order. */
    readonly ready: readonly Ready[],
  ) {}

  /** Forks `count` workers of `script` with `argsOf(index)` and waits until each is ready. */
  static async start<Run, Ready, Done>(
    script: URL,
    count: number,
    argsOf: (index: number) => string[],
  ): Promise<WorkerPool<Run, Ready, Done>> {
    const children = Array.from({ length: count }, (_, index) =>
      fork(script, argsOf(index), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    try {
      const ready = await Promise.all(
        children.map((child) => reply<Ready, Done, 'ready'>(child, 'ready')),
      );
      return new WorkerPool<Run, Ready, Done>(children, ready);
    } catch (error) {
      for (const child of children) child.kill();
      throw error;
    }
  }

  /** Sends the same run to every worker at once and collects what each did, in worker order. */
  run(message: Run): Promise<Done[]> {
    const done = this.children.map((child) => reply<Ready, Done, 'done'>(child, 'done'));
    for (const child of this.children) post<Run>(child, { type: 'run', ...message });
    return Promise.all(done);
  }

  /** Asks every worker to close its connections and exit; kills those that have not after 5 s. */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        post(child, { type: 'stop' });
        const timer = setTimeout(() => child.kill(), 5_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

function post<Run>(child: ChildProcess, message: ParentMessage<Run>): void {
  child.send(message);
}

/** The worker's next message of `type`; rejects on a failure report or an early exit. */
function reply<Ready, Done, T extends 'ready' | 'done'>(
  child: ChildProcess,
  type: T,
): Promise<Extract<WorkerMessage<Ready, Done>, { type: T }>> {
  type Wanted = Extract<WorkerMessage<Ready, Done>, { type: T }>;
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerMessage<Ready, Done>): void => {
      if (message.type === type) {
        cleanUp();
        resolve(message as Wanted);
      } else if (message.type === 'failed') {
        cleanUp();
        reject(new Error(`worker ${child.pid} failed: ${message.message}`));
      }
    };
    const onExit = (code: number | null): void => {
      cleanUp();
      reject(new Error(`worker ${child.pid} exited (${code}) before '${type}'`));
    };
    const cleanUp = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
