/**
 * The benchmark runner: `npm run bench [-- --quick] [-- --scenario NAME]`. Starts Redis unless it
 * runs, runs the scenarios, prints their tables and writes BENCHMARKS.md at the repository root.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RoundPlan } from './measure.js';
import { renderTable, writeReport } from './report.js';
import type { Scenario, ScenarioReport } from './scenario.js';
import { decoratorOverhead } from './scenarios/decorator-overhead.js';
import { uncontended } from './scenarios/uncontended.js';
import { startRedis } from './servers.js';

const SCENARIOS: readonly Scenario[] = [uncontended, decoratorOverhead];

/**
 * 15 rounds (a multiple of 3 contestants, so each runs first, second and third equally often) of
 * 1 s: on a small, noisy machine, more short paired rounds give a steadier median ratio than a few
 * long ones.
 */
const FULL: RoundPlan = { rounds: 15, roundMs: 1_000, warmupMs: 1_000 };
const QUICK: RoundPlan = { rounds: 3, roundMs: 200, warmupMs: 100 };

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      `usage: npm run bench -- [--quick] [--scenario NAME]...\nscenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
    return;
  }
  const scenarios = selectScenarios(values.scenario);
  if (!scenarios) {
    console.error(`unknown scenario; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const plan = values.quick ? QUICK : FULL;
  const root = findRoot();
  const startedAt = new Date();
  const redis = await startRedis(root);
  console.log(
    redis.startedHere
      ? `started Redis ${redis.version} at ${redis.url}; it stops at the end`
      : `using the Redis ${redis.version} already running at ${redis.url}`,
  );
  const stopOnSignal = (): void => {
    redis.stop();
    process.exit(130);
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  const reports: ScenarioReport[] = [];
  try {
    for (const scenario of scenarios) {
      reports.push(
        await scenario.run({
          redisUrl: redis.url,
          plan,
          log: (message) => console.log(message),
        }),
      );
    }
  } finally {
    redis.stop();
  }

  for (const report of reports) {
    for (const comparison of report.comparisons) {
      console.log(`\n${report.title}, ${comparison.title}`);
      console.log(renderTable(comparison).join('\n'));
    }
  }
  const path = writeReport(
    {
      root,
      command: commandLine(argv),
      plan,
      quick: values.quick,
      redisVersion: redis.version,
      redisUrl: redis.url,
      startedAt,
    },
    reports,
  );
  console.log(`\nwrote ${path}`);
}

/** The scenarios named on the command line (all by default), or `undefined` for an unknown name. */
function selectScenarios(names: string[] | undefined): Scenario[] | undefined {
  if (!names) return [...SCENARIOS];
  const selected = SCENARIOS.filter((scenario) => names.includes(scenario.name));
  return selected.length === new Set(names).size ? selected : undefined;
}

/** The repository root: the nearest directory up from here with nestjs-locker's package.json. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'nestjs-locker') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the nestjs-locker repository root');
    dir = parent;
  }
}

/** The command that ran the benchmark, with the environment that changes what it measures. */
function commandLine(argv: readonly string[]): string {
  const port = process.env.LOCKER_REDIS_PORT;
  const env = port ? `LOCKER_REDIS_PORT=${port} ` : '';
  if (process.env.npm_lifecycle_event === 'bench') {
    return `${env}npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  }
  return `${env}${['node', ...process.execArgv, process.argv[1] ?? 'bench/run.js', ...argv].join(' ')}`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
