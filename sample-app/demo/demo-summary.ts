import type { DemoResult } from './run-demo.js';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The demo's result as a few readable lines, then one line per check. */
export function formatSummary(result: DemoResult, stores: string): string {
  const { duplicates: d, rush, cache, deadlock, report, takeover } = result;
  const stock = Object.entries(result.finalStock)
    .map(([sku, left]) => `${sku} ${left}`)
    .join(', ');
  const rows: [string, string][] = [
    [
      'instances',
      `${result.instances.map((i) => `${i.name} ${i.url}`).join(', ')} (up in ${seconds(result.bootMs)})`,
    ],
    [
      'same order ×3',
      `${d.orders} orders sent to all 3 instances at once: ${d.created} × 201, ${d.inFlight409} × 409 in flight (Retry-After), ${d.placed409} × 409 already placed`,
    ],
    [
      'order rush',
      `${rush.orders} orders: ${rush.accepted} accepted (${rush.items} items), ${rush.outOfStock} refused out of stock (422)`,
    ],
    ['final stock', `${stock} (each started at ${result.initialStock})`],
    ...transferRows(deadlock),
    [
      'catalog cache',
      cache
        ? `${cache.asked} refreshes at once (${Object.entries(cache.perInstance)
            .map(([name, n]) => `${n} on ${name}`)
            .join(
              ', ',
            )}): ${cache.rebuilds} rebuild, ${cache.results.length} distinct result (${cache.results.join(', ')})`
        : 'skipped: this lock store keeps no shared results (the app runs without its catalog)',
    ],
    ['report (every 1 s)', `${report.quietTicks} ticks watched, ${report.runs} runs in all`],
    [
      'kill -9',
      takeover
        ? `${takeover.victim} (pid ${takeover.pid}) killed mid-run; ${takeover.successor} ran the job ${seconds(takeover.afterMs)} later (report ttl 3 s)`
        : 'no takeover seen',
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const failed = result.checks.filter((c) => !c.ok);
  return [
    '',
    `nestjs-locker demo: 3 instances of sample-app, locks on ${stores}`,
    '',
    ...rows.map(([label, text]) => `  ${label.padEnd(width)}  ${text}`),
    '',
    ...result.checks.map((c) => `  ${c.ok ? '✔' : '✘'} ${c.name}: ${c.detail}`),
    '',
    failed.length === 0
      ? `All ${result.checks.length} checks passed in ${seconds(result.durationMs)}.`
      : `${failed.length} of ${result.checks.length} checks FAILED (${seconds(result.durationMs)}).`,
    '',
  ].join('\n');
}

/** The opposite transfers' rows, or one saying the step was skipped. */
function transferRows(deadlock: DemoResult['deadlock']): [string, string][] {
  if (!deadlock) {
    return [['opposite transfers', 'skipped: this lock store does not detect deadlocks']];
  }
  return [
    [
      'opposite transfers',
      `${deadlock.first.join('; ')}; retried: ${deadlock.retried.join('; ') || 'nothing'}`,
    ],
    [
      'balances',
      Object.entries(deadlock.balances)
        .map(([id, balance]) => `${id} ${balance}`)
        .join(', '),
    ],
  ];
}
