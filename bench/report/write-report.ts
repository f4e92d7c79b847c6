import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, type } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { RoundPlan } from '../measure.js';
import type { ScenarioReport } from '../scenario.js';
import { cdfChartSvg } from './cdf-chart.js';
import { cpuModel, gitRevision, packageVersion } from './environment.js';
import { formatVerdict, markdownTable, type Table } from './table.js';

/** Where and how the benchmark ran, for the head of the report. */
export interface RunInfo {
  readonly root: string;
  readonly command: string;
  readonly plan: RoundPlan;
  readonly quick: boolean;
  /** Whether only some scenarios ran (`--scenario`). */
  readonly partial: boolean;
  readonly redisVersion: string;
  readonly redisUrl: string;
  readonly postgresVersion: string;
  readonly postgresUrl: string;
  readonly startedAt: Date;
}

/** Where the report goes: the markdown file and the folder of its SVG charts. */
export interface ReportPaths {
  readonly markdown: string;
  readonly charts: string;
}

/**
 * Writes the markdown report and one SVG per chart (replacing the SVGs of an earlier run), with
 * the charts linked relative to the markdown file.
 */
export function writeReport(
  info: RunInfo,
  scenarios: readonly ScenarioReport[],
  paths: ReportPaths,
): void {
  mkdirSync(dirname(paths.markdown), { recursive: true });
  mkdirSync(paths.charts, { recursive: true });
  for (const file of readdirSync(paths.charts)) {
    if (file.endsWith('.svg')) rmSync(join(paths.charts, file));
  }
  for (const scenario of scenarios) {
    for (const chart of scenario.charts) {
      writeFileSync(join(paths.charts, `${chart.file}.svg`), cdfChartSvg(chart));
    }
  }
  const chartLink = relative(dirname(paths.markdown), paths.charts).split('\\').join('/');
  writeFileSync(paths.markdown, renderReport(info, scenarios, chartLink));
}

/** The whole report as markdown; `chartLink` is the charts folder relative to the report. */
export function renderReport(
  info: RunInfo,
  scenarios: readonly ScenarioReport[],
  chartLink: string,
): string {
  const { plan, root } = info;
  const peer = (name: string): string => packageVersion(root, `node_modules/${name}`);
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`${info.command}\` (bench/run.ts) on ${info.startedAt.toISOString()}; rerun it to`,
    'refresh this file rather than editing it.',
    ...(info.quick || info.partial
      ? [
          '',
          `> **${info.quick ? 'Quick' : 'Partial'} run**: ${info.quick ? 'rounds too short and too few to trust the numbers' : 'only some scenarios ran'}.`,
        ]
      : []),
    '',
    '## Setup',
    '',
    ...markdownTable({
      header: ['', ''],
      align: ['left', 'left'],
      rows: [
        ['CPU', `${cpuModel()} × ${cpus().length}`],
        ['OS', `${type()} ${release()}`],
        ['Node.js', process.version],
        ['Redis', `${info.redisVersion}, local (${info.redisUrl}), no persistence`],
        ['PostgreSQL', `${info.postgresVersion}, local (${info.postgresUrl})`],
        [
          'nestjs-locker',
          `${packageVersion(root, '.')} (${gitRevision(root)}), lib/ compiled by tsc`,
        ],
        ['ioredis', peer('ioredis')],
        ['pg', peer('pg')],
        [
          'Peers',
          `redlock ${peer('redlock')} and ${peer('redlock-beta')}, @sesamecare-oss/redlock ${peer('@sesamecare-oss/redlock')}, redis-semaphore ${peer('redis-semaphore')}`,
        ],
        ['Command', `\`${info.command}\``],
        [
          'Rounds',
          `${plan.rounds} per table, ${plan.roundMs} ms per contestant per round, after ${plan.warmupMs} ms of warm-up each`,
        ],
      ],
    }),
    '',
    'Client, servers and every worker process share the same machine. Ops/s: median over rounds,',
    'and the min–max. Latency percentiles: over every op of every round. Ratios are paired: a',
    "contestant's ops/s over the baseline's in the same round, then the median over rounds.",
  ];
  const targets = targetSummary(scenarios);
  if (targets) {
    lines.push(
      '',
      '## Targets',
      '',
      "Each target of the benchmark issue, with this run's figure; the scenarios below give the",
      'details and the peers.',
      '',
      ...markdownTable(targets),
    );
  }
  for (const scenario of scenarios) {
    lines.push('', `## ${scenario.title}`, '', scenario.description);
    if (scenario.contestants.length > 0) lines.push('');
    for (const contestant of scenario.contestants) {
      lines.push(`- **${contestant.name}**: ${contestant.description}`);
    }
    for (const section of scenario.sections) {
      lines.push('', `### ${section.title}`, '', ...markdownTable(section.table));
      for (const note of section.notes ?? []) lines.push('', note);
    }
    for (const chart of scenario.charts) {
      lines.push('', `![${chart.title}](${chartLink}/${chart.file}.svg)`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Every scenario's targets in one table, or `undefined` when none has any. */
export function targetSummary(scenarios: readonly ScenarioReport[]): Table | undefined {
  const rows = scenarios.flatMap((scenario) =>
    (scenario.targets ?? []).map((target) => [
      target.what,
      target.target,
      target.result,
      target.met === undefined ? 'pending' : formatVerdict(target.met),
    ]),
  );
  if (rows.length === 0) return undefined;
  return {
    header: ['What', 'Target', 'This run', 'Verdict'],
    align: ['left', 'left', 'right', 'left'],
    rows,
  };
}
