import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A worker script run as a separate Node process, as the process specs start them. */
export interface WorkerProcess {
  readonly index: number;
  readonly child: ChildProcess;
  /** Where the worker appends its JSON lines. */
  readonly outFile: string;
  /** It printed "ready": connected, waiting for "go" on stdin. */
  readonly ready: Promise<void>;
  /** It printed "holding": it keeps its lock from now on. */
  readonly holding: Promise<void>;
  /** `code N` or the signal that ended it. */
  readonly exited: Promise<string>;
}

/**
 * Starts `script` with `config` (as one JSON argument, `outFile` included). Its stdin is a pipe
 * for the test's lines ("go", ...), whose end also stops the worker if the test process dies.
 */
export function spawnWorker(
  script: string,
  index: number,
  config: Record<string, unknown> & { readonly outFile: string },
): WorkerProcess {
  const child = spawn(process.execPath, [script, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const said = (text: string) =>
    new Promise<void>((resolve) => lines.on('line', (line) => line === text && resolve()));
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)),
  );
  return {
    index,
    child,
    outFile: config.outFile,
    ready: said('ready'),
    holding: said('holding'),
    exited,
  };
}

/** Rejects after `limitMs`: a bound against hanging, not a measurement. */
export function within<T>(promise: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${limitMs} ms`)), limitMs);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}
