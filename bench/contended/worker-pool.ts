import { type ChildProcess, fork } from 'node:child_process';
import type { ContestantInfo } from '../scenario.js';
import type { DoneMessage, ParentMessage, RunMessage, WorkerMessage } from './protocol.js';

/** The compiled worker, next to this file in the benchmark's build output. */
const WORKER = new URL('./worker.js', import.meta.url);

/** Separate Node processes that run the contended loop on command. */
export class WorkerPool {
  private constructor(
    private readonly children: readonly ChildProcess[],
    /** The contestants every worker has, as the first worker described them. */
    readonly contestants: readonly ContestantInfo[],
  ) {}

  /** Forks `count` workers on `redisUrl` and waits until each is connected. */
  static async start(count: number, redisUrl: string): Promise<WorkerPool> {
    const children = Array.from({ length: count }, (_, index) =>
      fork(WORKER, [redisUrl, String(index), String(count)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    try {
      const ready = await Promise.all(children.map((child) => reply(child, 'ready')));
      return new WorkerPool(children, ready[0]!.contestants);
    } catch (error) {
      for (const child of children) child.kill();
      throw error;
    }
  }

  /** Sends the same run to every worker at once and collects what each did, in worker order. */
  run(message: Omit<RunMessage, 'type'>): Promise<DoneMessage[]> {
    const done = this.children.map((child) => reply(child, 'done'));
    for (const child of this.children) post(child, { type: 'run', ...message });
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

function post(child: ChildProcess, message: ParentMessage): void {
  child.send(message);
}

/** The worker's next message of `type`; rejects on a failure report or an early exit. */
function reply<T extends WorkerMessage['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<WorkerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerMessage): void => {
      if (message.type === type) {
        cleanUp();
        resolve(message as Extract<WorkerMessage, { type: T }>);
      } else if (message.type === 'failed') {
        cleanUp();
        reject(new Error(`contended worker ${child.pid} failed: ${message.message}`));
      }
    };
    const onExit = (code: number | null): void => {
      cleanUp();
      reject(new Error(`contended worker ${child.pid} exited (${code}) before '${type}'`));
    };
    const cleanUp = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
