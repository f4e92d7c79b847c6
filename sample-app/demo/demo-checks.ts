import type { OrderAnswer } from './shop-client.js';

/** One line of the verdict: a check and whether it held. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** One run of the report job, from `report_runs`. */
export interface ReportRun {
  readonly instance: string;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Epoch ms; absent for a run that never finished (its instance was killed). */
  readonly finishedAt?: number;
}

/** Every order of `answers` that was sent more than once: exactly one 201, every other 409. */
export function checkDuplicateOrders(answers: readonly OrderAnswer[]): Check {
  const byId = new Map<string, OrderAnswer[]>();
  for (const answer of answers) byId.set(answer.id, [...(byId.get(answer.id) ?? []), answer]);
  const wrong: string[] = [];
  for (const [id, copies] of byId) {
    const created = copies.filter((a) => a.status === 201).length;
    const conflicts = copies.filter((a) => a.status === 409).length;
    if (created !== 1 || conflicts !== copies.length - 1) {
      wrong.push(`${id}: ${copies.map((a) => a.status).join(', ')}`);
    }
  }
  return {
    name: 'exactly one 201 per order, 409 for its copies',
    ok: wrong.length === 0,
    detail: wrong.length === 0 ? `${byId.size} orders` : `wrong: ${wrong.join('; ')}`,
  };
}

/**
 * Final stock per SKU is never negative and equals the initial stock minus what the accepted
 * orders (201) took.
 */
export function checkStock(
  initial: number,
  finalStock: Readonly<Record<string, number>>,
  answers: readonly OrderAnswer[],
): Check {
  const taken: Record<string, number> = {};
  for (const a of answers) if (a.status === 201) taken[a.sku] = (taken[a.sku] ?? 0) + a.qty;
  const wrong: string[] = [];
  for (const [sku, stock] of Object.entries(finalStock)) {
    const expected = initial - (taken[sku] ?? 0);
    if (stock < 0 || stock !== expected) wrong.push(`${sku}: ${stock}, expected ${expected}`);
  }
  return {
    name: 'final stock never negative, = initial − accepted',
    ok: wrong.length === 0 && Object.keys(finalStock).length > 0,
    detail:
      wrong.length === 0
        ? Object.entries(finalStock)
            .map(([sku, stock]) => `${sku} ${stock}`)
            .join(', ')
        : wrong.join('; '),
  };
}

/** The second a run belongs to: its tick (the job runs every second, starting within ms of it). */
export const tickOf = (run: ReportRun): number => Math.floor(run.startedAt / 1000) * 1000;

/** No tick ran twice, over every run recorded. */
export function checkNoTickTwice(runs: readonly ReportRun[]): Check {
  const count = new Map<number, string[]>();
  for (const run of runs) count.set(tickOf(run), [...(count.get(tickOf(run)) ?? []), run.instance]);
  const twice = [...count].filter(([, on]) => on.length > 1);
  return {
    name: 'no report tick ran twice',
    ok: twice.length === 0,
    detail:
      twice.length === 0
        ? `${runs.length} runs`
        : twice.map(([t, on]) => `${new Date(t).toISOString()} on ${on.join(', ')}`).join('; '),
  };
}

/** Every tick from `from` to `to` (epoch ms, whole seconds) ran exactly once. */
export function checkEveryTickOnce(runs: readonly ReportRun[], from: number, to: number): Check {
  const ticks = new Map<number, number>();
  for (const run of runs) ticks.set(tickOf(run), (ticks.get(tickOf(run)) ?? 0) + 1);
  const wrong: string[] = [];
  let seen = 0;
  for (let tick = from; tick <= to; tick += 1000) {
    const n = ticks.get(tick) ?? 0;
    seen++;
    if (n !== 1) wrong.push(`${new Date(tick).toISOString()} ran ${n}×`);
  }
  return {
    name: 'each report tick of a quiet window ran exactly once',
    ok: wrong.length === 0 && seen > 0,
    detail: wrong.length === 0 ? `${seen} ticks` : wrong.join('; '),
  };
}

/** Runs of the job never overlap: each starts after the one before it finished. */
export function checkNoOverlap(runs: readonly ReportRun[], killedRunStart?: number): Check {
  const ordered = [...runs].sort((a, b) => a.startedAt - b.startedAt);
  const wrong: string[] = [];
  for (let i = 1; i < ordered.length; i++) {
    const prev = ordered[i - 1]!;
    const next = ordered[i]!;
    // The killed run never finished: its end is unknown, so it only counts as "not overlapped"
    // when the next run started after its lease could have run out, which the takeover check bounds.
    if (prev.finishedAt === undefined) {
      if (prev.startedAt !== killedRunStart)
        wrong.push(`run at ${iso(prev.startedAt)} never finished`);
      continue;
    }
    if (next.startedAt < prev.finishedAt) {
      wrong.push(`${next.instance} at ${iso(next.startedAt)} before ${prev.instance} finished`);
    }
  }
  return {
    name: 'report runs never overlap',
    ok: wrong.length === 0,
    detail: wrong.length === 0 ? `${ordered.length} runs` : wrong.join('; '),
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();
