import { setTimeout as sleep } from 'node:timers/promises';
import { type AppInstance, signal } from './app-instance.js';
import type { Check, ReportRun } from './demo-checks.js';
import type { ShopDatabase } from './shop-database.js';

/** What the takeover step saw. */
export interface Takeover {
  readonly check: Check;
  /** The run that was in progress when its instance was killed. */
  readonly killedRun?: ReportRun;
  readonly figures?: { victim: string; pid: number; successor: string; afterMs: number };
}

/**
 * Waits for a run of the report that is in progress, kills its instance with SIGKILL (no chance
 * to release the lock), and measures how long until another instance runs the job.
 */
export async function killRunningInstance(
  db: ShopDatabase,
  instances: readonly AppInstance[],
  reportTtlMs: number,
  abort: AbortSignal | undefined,
): Promise<Takeover> {
  // A generous bound: the dead run's ttl, one period, and slack for a busy machine.
  const limitMs = reportTtlMs + 1_000 + 3_000;
  const name = 'after kill -9 mid-run, another instance runs the job within ttl + 1 period';
  let running: ReportRun | undefined;
  for (const deadline = Date.now() + 10_000; !running && Date.now() < deadline; ) {
    const runs = await db.reportRuns();
    running = runs.find((r) => r.finishedAt === undefined && Date.now() - r.startedAt < 300);
    if (!running) await sleep(20, undefined, { signal: abort });
  }
  const victim = instances.find((i) => i.name === running?.instance);
  if (!running || !victim) return { check: { name, ok: false, detail: 'no run in progress seen' } };
  signal(victim.pid, 'SIGKILL');
  const killedAt = Date.now();
  await victim.exited;

  let next: ReportRun | undefined;
  for (const deadline = killedAt + limitMs + 5_000; !next && Date.now() < deadline; ) {
    next = (await db.reportRuns()).find((r) => r.startedAt > killedAt);
    if (!next) await sleep(50, undefined, { signal: abort });
  }
  if (!next) {
    return { check: { name, ok: false, detail: 'no run after the kill' }, killedRun: running };
  }
  const afterMs = next.startedAt - killedAt;
  const ok = next.instance !== victim.name && afterMs <= limitMs;
  return {
    check: { name, ok, detail: `${next.instance} after ${(afterMs / 1000).toFixed(1)} s` },
    killedRun: running,
    figures: { victim: victim.name, pid: victim.pid, successor: next.instance, afterMs },
  };
}
