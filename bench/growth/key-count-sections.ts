import { formatOps } from '../report/table.js';
import type { Section } from '../scenario.js';
import type { LeftBehind } from './key-count.js';

/** The distinct-keys table: what each store kept of `asked` keys locked once (within `budgetMs`). */
export function keyCountSection(
  rows: readonly LeftBehind[],
  asked: number,
  budgetMs: number,
): Section {
  const short = rows.filter((row) => row.keys < asked).map((row) => row.store);
  return {
    title: 'Distinct keys locked once, after release',
    table: {
      header: [
        'Store',
        'keys locked once',
        'locked + released per s',
        'keys (rows) left',
        'left per key',
        'bytes left',
        'bytes per key',
        'kept for',
      ],
      align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
      rows: rows.map((row) => [
        row.store,
        formatOps(row.keys),
        formatOps(row.perSec),
        formatOps(row.left.keys),
        (row.left.keys / row.keys).toFixed(2),
        formatOps(row.left.bytes),
        formatOps(row.left.bytes / row.keys),
        keptFor(row),
      ]),
    },
    notes: [
      "`LockManager.acquire(key, { ttl: 30 s })` then `release()`, 256 at once, each key once. Redis: growth of `DBSIZE` and `used_memory`; what is left is each key's fence key (`{key}:fence`, its last fencing token), kept `fenceRetentionMs` (default 10 min) past the lease, so that tokens keep increasing. PostgreSQL (its own schema, sweep off): growth of the lease table's rows and of `pg_total_relation_size` over the backend's tables (the release's dead row versions included until a vacuum); a released row stays (owner NULL) until the sweep, which deletes the rows free for `sweepIntervalMs` (default 60 s) every `sweepIntervalMs`, 1,000 per statement and up to 60,000 per sweep. Fencing tokens there come from one sequence, so a row holds no token history. Redis's fence keys expire `fenceRetentionMs` after the lease's ttl as the acquire set it, hence \"kept for\" ≈ 10 min + 30 s.",
      ...(short.length > 0
        ? [
            `${short.join(' and ')} did not lock all ${formatOps(asked)} keys within ${budgetMs / 60_000} min: the row says how many it reached.`,
          ]
        : []),
    ],
  };
}

/** The cron table: what one job's tick claims of `claimTtlMs` kept once their ttl had passed. */
export function claimSection(rows: readonly LeftBehind[], claimTtlMs: number): Section {
  return {
    title: `One cron job's tick claims, ${claimTtlMs} ms after their ttl`,
    table: {
      header: [
        'Store',
        'ticks claimed',
        'claims per s',
        'keys (rows) left',
        'left per tick',
        'bytes per tick',
        'kept for',
      ],
      align: ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
      rows: rows.map((row) => [
        row.store,
        formatOps(row.keys),
        formatOps(row.perSec),
        formatOps(row.left.keys),
        (row.left.keys / row.keys).toFixed(2),
        formatOps(row.left.bytes / row.keys),
        keptFor(row),
      ]),
    },
    notes: [
      `\`LockManager.claim('cron:growth:<tick>', ${claimTtlMs})\` for ticks 1 s apart, as \`@SingletonCron\` claims them, 256 at once; measured once every claim's ttl had passed (expired Redis keys deleted by a SCAN first). Kept for: the remaining expiry of the first tick's fence key. In a steady state a job keeps one fence key per tick of the last claim ttl + \`fenceRetentionMs\` on Redis: with \`@SingletonCron\`'s claim ttl of two periods and the default 10 min, about 602 keys for a job every second, 12 for a job every minute; on Postgres one row per tick until the sweep (≥ 60 s; up to 60,000 rows a sweep per backend).`,
    ],
  };
}

/** What one released key leaves, per store: the store grows linearly in distinct keys. */
export function leftSummary(rows: readonly LeftBehind[]): string {
  const each = rows.map(
    (row) =>
      `${row.store} ${(row.left.keys / row.keys).toFixed(2)} key (row) and ${formatOps(row.left.bytes / row.keys)} bytes (${keptFor(row)})`,
  );
  return `Each distinct key locked once leaves, after release: ${each.join('; ')}, so the store grows linearly with the distinct keys used within that time.`;
}

/** The expiry left on a key's leftovers, or how it goes without one. */
function keptFor(row: LeftBehind): string {
  if (Number.isFinite(row.keptMs)) return `${Math.round(row.keptMs / 1000)} s more`;
  return row.store === 'PostgreSQL' ? 'until swept' : '–';
}
