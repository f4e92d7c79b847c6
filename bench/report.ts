import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, type } from 'node:os';
import { join } from 'node:path';
import type { Comparison, RoundPlan } from './measure.js';
import type { ScenarioReport } from './scenario.js';

/** Where and how the benchmark ran, for the head of the report. */
export interface RunInfo {
  readonly root: string;
  readonly command: string;
  readonly plan: RoundPlan;
  readonly quick: boolean;
  readonly redisVersion: string;
  readonly redisUrl: string;
  readonly startedAt: Date;
}

/** Renders the scenarios' results as markdown and writes them to `BENCHMARKS.md` at `info.root`. */
export function writeReport(info: RunInfo, scenarios: readonly ScenarioReport[]): string {
  const path = join(info.root, 'BENCHMARKS.md');
  writeFileSync(path, renderReport(info, scenarios));
  return path;
}

export function renderReport(info: RunInfo, scenarios: readonly ScenarioReport[]): string {
  const { plan } = info;
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`${info.command}\` (bench/run.ts) on ${info.startedAt.toISOString()}; rerun it to`,
    'refresh this file rather than editing it.',
    ...(info.quick
      ? ['', '> **Quick run** (`--quick`): rounds too short and too few to trust the numbers.']
      : []),
    '',
    '## Setup',
    '',
    ...markdownTable(
      ['', ''],
      [
        ['CPU', `${cpuModel()} × ${cpus().length}`],
        ['OS', `${type()} ${release()}`],
        ['Node.js', process.version],
        ['Redis', `${info.redisVersion}, local (${info.redisUrl}), no persistence`],
        [
          'nestjs-locker',
          `${packageVersion(info.root, '.')} (${gitRevision(info.root)}), lib/ compiled by tsc`,
        ],
        ['ioredis', packageVersion(info.root, 'node_modules/ioredis')],
        ['Command', `\`${info.command}\``],
        [
          'Rounds',
          `${plan.rounds} per table, ${plan.roundMs} ms per contestant per round, after ${plan.warmupMs} ms of warm-up each`,
        ],
      ],
    ),
    '',
    'Client and server share the same machine. Ops/s: median over rounds, and the min–max. Latency',
    'percentiles: over every op of every round. × raw: ops/s over raw ioredis in the same round.',
  ];
  for (const scenario of scenarios) {
    lines.push('', `## ${scenario.title}`, '', scenario.description, '');
    const described = new Set<string>();
    for (const comparison of scenario.comparisons) {
      for (const row of comparison.rows) {
        if (described.has(row.name)) continue;
        described.add(row.name);
        lines.push(`- **${row.name}**: ${row.description}`);
      }
    }
    for (const comparison of scenario.comparisons) {
      lines.push('', `### ${comparison.title}`, '', ...renderTable(comparison));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A comparison as a markdown table (also printed to the console at the end of a run). */
export function renderTable(comparison: Comparison): string[] {
  const target =
    comparison.targetRatio === undefined ? undefined : `≥ ${comparison.targetRatio.toFixed(2)}×`;
  const header = [
    'Contestant',
    'ops/s (median)',
    'ops/s (min–max)',
    'p50 ms',
    'p99 ms',
    '× raw (median)',
    '× raw (min–max)',
  ];
  const align: Align[] = ['left', 'right', 'right', 'right', 'right', 'right', 'right'];
  if (target) {
    header.push(`target ${target}`);
    align.push('left');
  }
  const rows = comparison.rows.map((row) => {
    const isBaseline = row.name === comparison.baseline;
    const cells = [
      row.name,
      ops(row.opsPerSec.median),
      `${ops(row.opsPerSec.min)}–${ops(row.opsPerSec.max)}`,
      ms(row.p50Ms),
      ms(row.p99Ms),
      row.ratio ? `${row.ratio.median.toFixed(2)}×` : isBaseline ? '1.00× (baseline)' : '',
      row.ratio ? `${row.ratio.min.toFixed(2)}–${row.ratio.max.toFixed(2)}×` : '',
    ];
    if (target) {
      cells.push(row.targetMet === undefined ? '' : row.targetMet ? 'met' : '**missed**');
    }
    return cells;
  });
  return markdownTable(header, rows, align);
}

type Align = 'left' | 'right';

/** A markdown table with padded, aligned columns: the layout `biome format` gives it. */
function markdownTable(header: string[], rows: string[][], align: Align[] = []): string[] {
  const widths = header.map((cell, i) =>
    Math.max(3, cell.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    `| ${widths
      .map((width, i) =>
        align[i] === 'right' ? (cells[i] ?? '').padStart(width) : (cells[i] ?? '').padEnd(width),
      )
      .join(' | ')} |`;
  const rule = `| ${widths
    .map((width, i) => (align[i] === 'right' ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width)))
    .join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)];
}

function ops(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(3) : value.toFixed(1);
}

function cpuModel(): string {
  try {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim();
    if (model) return model;
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  return cpus()[0]?.model ?? 'unknown';
}

function packageVersion(root: string, dir: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

function gitRevision(root: string): string {
  try {
    const git = (...args: string[]): string =>
      execFileSync('git', args, {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    const revision = git('rev-parse', '--short', 'HEAD').trim();
    const dirty = git('status', '--porcelain', '--', 'lib').trim() !== '';
    return dirty ? `${revision}, lib/ modified` : revision;
  } catch {
    return 'no git revision';
  }
}
