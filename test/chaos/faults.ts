import { readFileSync } from 'node:fs';
import { sleep } from '../support/async.js';
import type { FaultContext, RunningWorker } from './chaos-runner.js';
import type { Healed } from './history.js';

export const now = (): bigint => process.hrtime.bigint();

/** Runs `fault` `times` times, spread over the middle of a run of `durationMs`. */
export async function repeat(
  times: number,
  durationMs: number,
  fault: (round: number) => Promise<Healed>,
): Promise<Healed[]> {
  const healed: Healed[] = [];
  const gap = durationMs / (times + 1);
  for (let round = 0; round < times; round++) {
    await sleep(round === 0 ? Math.min(gap, 1_500) : gap / 2);
    healed.push(await fault(round));
  }
  return healed;
}

/** Waits until some worker has written `key` (so it is likely to hold it) and returns that worker. */
export async function holderOf(context: FaultContext, key: string): Promise<RunningWorker> {
  for (let i = 0; i < 200; i++) {
    const holder = context.holderOf(key);
    if (holder && holder.child.exitCode === null && holder.child.signalCode === null) return holder;
    await sleep(25);
  }
  throw new Error(`nobody wrote "${key}" within 5 s`);
}

/** `kill -9` of the worker that holds `key`: its lease must run out and another take over. */
export async function killHolder(context: FaultContext, key: string): Promise<Healed> {
  const holder = await holderOf(context, key);
  holder.child.kill('SIGKILL');
  context.log(`killed worker ${holder.index} (holder of ${key})`);
  return { at: now(), key };
}

/** Whether a process is stopped (state T in /proc/PID/stat). */
function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
  } catch {
    return false;
  }
}

/**
 * Stops the holder of `key` between its "lease is valid" check and its next write (it SIGSTOPs
 * itself on SIGUSR2), keeps it stopped for `pauseMs`, then resumes it: it must learn it lost the
 * lease, and its late write must be rejected by fencing.
 */
export async function pauseHolder(
  context: FaultContext,
  key: string,
  pauseMs: number,
): Promise<Healed> {
  const holder = await holderOf(context, key);
  const pid = holder.child.pid!;
  holder.child.kill('SIGUSR2');
  for (let i = 0; i < 400 && !isStopped(pid); i++) await sleep(5);
  if (!isStopped(pid)) throw new Error(`worker ${holder.index} did not stop`);
  const pausedAt = now();
  context.log(`paused worker ${holder.index} (holder of ${key}) for ${pauseMs} ms`);
  await sleep(pauseMs);
  holder.child.kill('SIGCONT');
  return { at: pausedAt, key };
}
