/**
 * The read-mostly scenario's report: per store, a table of every arm's figures and a chart of
 * their waits.
 */
import { formatMs, formatOps, formatRatio, type Table } from '../report/table.js';
import type { Chart, Section } from '../scenario.js';
import { pairedRatios, percentile, type Spread, sortedCopy, spread } from '../stats.js';
import type { StoreName } from './protocol.js';
import type { Tally } from './tally.js';
import {
  ARMS,
  type ArmInfo,
  HOLD_MS,
  LOOPS,
  PROCESSES,
  READ_SHARE,
  ROUND_TRIPS,
} from './workload.js';

/** A store as the report names it. */
export interface StoreInfo {
  readonly store: StoreName;
  readonly title: string;
}

/** One arm's figures on one store. */
interface Figures {
  readonly info: ArmInfo;
  readonly opsPerSec: Spread;
  readonly readsPerSec: number;
  readonly writesPerSec: number;
  /** Paired ops/s over the mutex's; `undefined` for the mutex itself. */
  readonly overMutex: Spread | undefined;
  readonly ceiling: number;
  readonly peakReaders: number;
  readonly meanReaders: number;
  readonly readWaitMs: { readonly p50: number; readonly p99: number };
  readonly writeWaitMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly violations: number;
  readonly meanHoldMs: number;
}

function figuresOf(tally: Tally, mutex: Tally | undefined, rttMs: number): Figures {
  const reads = sortedCopy(tally.readWaitsMs.values());
  const writes = sortedCopy(tally.writeWaitsMs.values());
  const shared = tally.info.arm !== 'mutex';
  return {
    info: tally.info,
    opsPerSec: spread(tally.opsPerSec),
    readsPerSec: spread(tally.readsPerSec).median,
    writesPerSec: spread(tally.writesPerSec).median,
    overMutex: shared && mutex ? spread(pairedRatios(tally.opsPerSec, mutex.opsPerSec)) : undefined,
    ceiling: shared
      ? (PROCESSES * LOOPS * 1_000) / (HOLD_MS + 2 * rttMs)
      : 1_000 / (HOLD_MS + rttMs),
    peakReaders: tally.peakReaders,
    meanReaders: tally.readerMs / tally.readHeldMs,
    readWaitMs: { p50: percentile(reads, 50), p99: percentile(reads, 99) },
    writeWaitMs: {
      p50: percentile(writes, 50),
      p99: percentile(writes, 99),
      max: percentile(writes, 100),
    },
    violations: tally.violations,
    meanHoldMs: tally.heldMs / tally.holds,
  };
}

/**
 * One store's table, with the round trip, the measured mean holds and, when the store lacks
 * read-write locks or an arm broke exclusion, a line that says so.
 */
export function sectionOf(
  { title }: StoreInfo,
  rttMs: number,
  tallies: readonly Tally[],
  readWrite: boolean,
): Section {
  const mutex = tallies.find((tally) => tally.info.arm === 'mutex');
  const figures = tallies.map((tally) => figuresOf(tally, mutex, rttMs));
  const notes = [
    `Round trip: ${formatMs(rttMs)} ms (the median of ${ROUND_TRIPS} ${title === 'Redis' ? 'PINGs' : '`SELECT 1`s'} before the run). Mean hold as measured (the ${HOLD_MS} ms timer fires late on a busy machine): ${figures.map((f) => `${f.info.name} ${formatMs(f.meanHoldMs)} ms`).join(', ')}.`,
  ];
  if (!readWrite) {
    notes.push(
      `**The read-write arm did not run on ${title}**: its backend on this revision has no \`readWrite\` (read-write locks).`,
    );
  }
  const broken = figures.filter((f) => f.info.arm !== 'semaphore' && f.violations > 0);
  if (broken.length > 0) {
    notes.push(
      `**Exclusion broken**: ${broken.map((f) => `${f.info.name} ${f.violations}`).join(', ')} holds overlapped a hold they exclude.`,
    );
  }
  return {
    title: `${title}: ${PROCESSES} processes × ${LOOPS} loops, one key, ${READ_SHARE * 100} % reads, ${HOLD_MS} ms held`,
    table: tableOf(figures, readWrite),
    notes,
  };
}

function tableOf(all: readonly Figures[], readWrite: boolean): Table {
  const header = [
    'Arm',
    'ops/s (median)',
    'ops/s (min–max)',
    'reads/s',
    'writes/s',
    '× mutex (min–max)',
    'ceiling ops/s',
    'readers peak',
    'readers mean',
    'read wait p50 ms',
    'read wait p99 ms',
    'write wait p50 ms',
    'write wait p99 ms',
    'write wait max ms',
    'violations',
  ];
  const rows = all.map((f) => [
    f.info.name,
    formatOps(f.opsPerSec.median),
    `${formatOps(f.opsPerSec.min)}–${formatOps(f.opsPerSec.max)}`,
    formatOps(f.readsPerSec),
    formatOps(f.writesPerSec),
    f.overMutex
      ? `${formatRatio(f.overMutex.median)} (${f.overMutex.min.toFixed(2)}–${formatRatio(f.overMutex.max)})`
      : '1.00× (baseline)',
    formatOps(f.ceiling),
    String(f.peakReaders),
    Number.isFinite(f.meanReaders) ? f.meanReaders.toFixed(2) : '–',
    formatMs(f.readWaitMs.p50),
    formatMs(f.readWaitMs.p99),
    formatMs(f.writeWaitMs.p50),
    formatMs(f.writeWaitMs.p99),
    formatMs(f.writeWaitMs.max),
    f.info.arm === 'semaphore' ? '–' : f.violations > 0 ? `**${f.violations}**` : '0',
  ]);
  if (!readWrite) {
    const skipped = ARMS[0]!.name;
    rows.unshift([
      skipped,
      'skipped: no `readWrite` on this backend',
      ...header.slice(2).map(() => ''),
    ]);
  }
  return { header, align: ['left', ...header.slice(1).map(() => 'right' as const)], rows };
}

/** One store's chart: the wait per acquire of each arm, reads and writes apart for read-write. */
export function chartOf({ store, title }: StoreInfo, tallies: readonly Tally[]): Chart {
  return {
    file: `read-mostly-${store}-wait`,
    title: `Read-mostly on ${title}: wait per acquire, ${PROCESSES} processes × ${LOOPS} loops`,
    axis: 'wait from acquire call to lock held (ms)',
    series: tallies.flatMap((tally) => {
      const { arm, name } = tally.info;
      if (arm === 'read-write') {
        return [
          { name: `${name}: reads`, values: tally.readWaitsMs.values() },
          { name: `${name}: writes`, values: tally.writeWaitsMs.values() },
        ];
      }
      const values = Float64Array.from([
        ...tally.readWaitsMs.values(),
        ...tally.writeWaitsMs.values(),
      ]);
      return [{ name: `${name}: all ops`, values }];
    }),
  };
}
