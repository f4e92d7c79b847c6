import type { OrderAnswer, RefreshAnswer, TransferAnswer } from './shop-client.js';

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

/**
 * Refreshes of the catalog sent at once to every instance merged into one rebuild: every one
 * answered 200 with the same rebuild (instance and fencing token), and the cache row counts one
 * rebuild more than before (`rebuildsAdded`).
 */
export function checkMergedRebuild(
  answers: readonly RefreshAnswer[],
  rebuildsAdded: number,
): Check {
  const failed = answers.filter((a) => a.status !== 200);
  const builds = new Set(answers.map((a) => `${a.builtBy} #${a.fencingToken}`));
  const ok = answers.length > 0 && failed.length === 0 && builds.size === 1 && rebuildsAdded === 1;
  return {
    name: 'concurrent refreshes on every instance: one rebuild, the same result for all',
    ok,
    detail: ok
      ? `${answers.length} answers, all from the rebuild by ${[...builds][0]}`
      : `${rebuildsAdded} rebuilds, ${builds.size} distinct results, statuses ${answers.map((a) => a.status).join(', ')}`,
  };
}

/**
 * Two transfers in opposite directions sent at once: exactly one gave way to the deadlock (409
 * `LOCK_DEADLOCK` with `Retry-After`), the other went through (201).
 */
export function checkDeadlockGaveWay(answers: readonly TransferAnswer[]): Check {
  const deadlocked = answers.filter(
    (a) => a.status === 409 && a.errorCode === 'LOCK_DEADLOCK' && a.retryAfter !== null,
  );
  const done = answers.filter((a) => a.status === 201);
  const ok = answers.length === 2 && deadlocked.length === 1 && done.length === 1;
  return {
    name: 'opposite transfers at once: one 409 LOCK_DEADLOCK (Retry-After), one 201',
    ok,
    detail: answers
      .map((a) =>
        `${a.from}→${a.to} on ${a.askedInstance}: ${a.status} ${a.errorCode ?? ''}`.trim(),
      )
      .join('; '),
  };
}

/** Every transfer that gave way went through when sent again (`retried`: the last answer of each). */
export function checkRetriedTransfers(gaveWay: number, retried: readonly TransferAnswer[]): Check {
  const ok = gaveWay > 0 && retried.length === gaveWay && retried.every((a) => a.status === 201);
  return {
    name: 'the transfer that gave way went through when retried from the top',
    ok,
    detail:
      retried.length === 0
        ? 'nothing to retry'
        : retried.map((a) => `${a.from}→${a.to} on ${a.askedInstance}: ${a.status}`).join('; '),
  };
}

/**
 * Each balance moved by exactly the accepted (201) transfers, no more: a transfer that gave way
 * moved nothing, and no money was made or lost.
 */
export function checkBalances(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
  answers: readonly TransferAnswer[],
): Check {
  const expected: Record<string, number> = { ...before };
  for (const a of answers.filter((answer) => answer.status === 201)) {
    expected[a.from] = (expected[a.from] ?? 0) - a.amount;
    expected[a.to] = (expected[a.to] ?? 0) + a.amount;
  }
  const accounts = new Set([...Object.keys(expected), ...Object.keys(after)]);
  const wrong = [...accounts].filter((id) => after[id] !== expected[id]);
  return {
    name: 'balances moved by the accepted transfers only, all or nothing',
    ok: wrong.length === 0 && accounts.size > 0,
    detail:
      wrong.length === 0
        ? Object.entries(after)
            .map(([id, balance]) => `${id} ${balance}`)
            .join(', ')
        : wrong.map((id) => `${id}: ${after[id]}, expected ${expected[id]}`).join('; '),
  };
}
