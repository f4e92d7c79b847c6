import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

/** One running instance of the sample app, as the demo started it. */
export interface AppInstance {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with how the process ended (`code 0`, `SIGKILL` ...). */
  readonly exited: Promise<string>;
  /** Set once the process has ended. */
  exit?: string;
}

/** How to start one instance. */
export interface AppInstanceSpec {
  readonly name: string;
  /** The compiled sample app: `sample-app/dist/src/main.js`. */
  readonly main: string;
  readonly port: number;
  readonly env: NodeJS.ProcessEnv;
  readonly logFile: string;
  readonly readyTimeoutMs: number;
}

/**
 * Starts `node main.js` with the instance's environment, its output in `logFile`, and resolves once
 * it printed its ready line (`{"event":"ready",...}`). Rejects if it exits or times out first.
 */
export function startAppInstance(spec: AppInstanceSpec): Promise<AppInstance> {
  const log = createWriteStream(spec.logFile);
  const child = spawn(process.execPath, [spec.main], {
    env: { ...process.env, ...spec.env, INSTANCE: spec.name, PORT: String(spec.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exit: string | undefined;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal ?? `code ${code}`;
      resolve(exit);
    });
    child.once('error', (error) => {
      exit = error.message;
      resolve(exit);
    });
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  exited.then(() => log.end());

  return new Promise<AppInstance>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      stop(child);
      reject(
        new Error(
          `${spec.name} was not ready within ${spec.readyTimeoutMs} ms; see ${spec.logFile}`,
        ),
      );
    }, spec.readyTimeoutMs);
    exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} exited (${how}) before it was ready; see ${spec.logFile}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n').find((l) => l.startsWith('{"event":"ready"'));
      if (!line) return;
      clearTimeout(timer);
      const ready = JSON.parse(line) as { url: string; pid: number };
      const instance: AppInstance = {
        name: spec.name,
        url: ready.url,
        pid: ready.pid,
        logFile: spec.logFile,
        exited,
        get exit() {
          return exit;
        },
      };
      resolve(instance);
    });
  });
}

function stop(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * Stops an instance gracefully (SIGTERM: the app releases its locks and closes), SIGKILL after
 * `graceMs`. Resolves `true` when it stopped gracefully.
 */
export async function stopAppInstance(instance: AppInstance, graceMs: number): Promise<boolean> {
  if (instance.exit !== undefined) return true;
  signal(instance.pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
  });
  const graceful = await Promise.race([instance.exited.then(() => true as const), late]);
  clearTimeout(timer);
  if (!graceful) {
    signal(instance.pid, 'SIGKILL');
    await instance.exited;
  }
  return graceful;
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
