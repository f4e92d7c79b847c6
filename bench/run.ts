/**
 * The benchmark runner: `npm run bench [-- --quick] [-- --scenario NAME]`. Starts Redis and
 * PostgreSQL on the benchmark's own ports unless they run, runs the scenarios, prints their tables
 * and writes the report: BENCHMARKS.md and bench/charts/ for a full run, a scratch copy under
 * node_modules/.cache for a quick or partial one (so a smoke run never replaces the real figures).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { etcd } from './etcd/etcd-scenario.js';
import type { RoundPlan } from './measure.js';
import { markdownTable } from './report/table.js';
import { type ReportPaths, targetSummary, writeReport } from './report/write-report.js';
import type { Scenario, ScenarioReport } from './scenario.js';
import { contended } from './scenarios/contended.js';
import { costPerOp } from './scenarios/cost-per-op.js';
import { dashboard } from './scenarios/dashboard.js';
import { deadlockAndShare } from './scenarios/deadlock-and-share.js';
import { decoratorOverhead } from './scenarios/decorator-overhead.js';
import { growth } from './scenarios/growth.js';
import { handoffCost } from './scenarios/handoff-cost.js';
import { postgres as postgresScenario } from './scenarios/postgres.js';
import { postgresAdvisory } from './scenarios/postgres-advisory.js';
import { quorum } from './scenarios/quorum.js';
import { readMostly } from './scenarios/read-mostly.js';
import { renewal } from './scenarios/renewal.js';
import { uncontended } from './scenarios/uncontended.js';
import {
  type BenchServer,
  redisPort,
  startEtcd,
  startPostgres,
  startRedis,
  startZooKeeper,
  stopAll,
} from './servers.js';
import { zookeeperScenario } from './zookeeper/zookeeper.js';

/**
 * In the order they run. The scenarios that call `using`, `@Locked` or `share` come last: those
 * run their work inside an `AsyncLocalStorage`, and once one has, Node 20 runs promise hooks for
 * every promise of the process (the peers' too) until it exits, which would tax the scenarios
 * after them (measured: the pure JS of an acquire + release 1.8× slower).
 */
const SCENARIOS: readonly Scenario[] = [
  uncontended,
  costPerOp,
  quorum,
  contended,
  handoffCost,
  readMostly,
  renewal,
  growth,
  postgresScenario,
  postgresAdvisory,
  etcd,
  zookeeperScenario,
  decoratorOverhead,
  deadlockAndShare,
  dashboard,
];

/**
 * 15 rounds of 1 s: on a small, noisy machine, more short paired rounds give a steadier median
 * ratio than a few long ones.
 */
const FULL: RoundPlan = { rounds: 15, roundMs: 1_000, warmupMs: 1_000 };
const QUICK: RoundPlan = { rounds: 3, roundMs: 200, warmupMs: 100 };
/** Quorum servers listen from the main Redis port + this on, apart from the test servers. */
const QUORUM_PORT_OFFSET = 10;

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
  const partial = scenarios.length < SCENARIOS.length;
  const root = findRoot();
  const startedAt = new Date();
  const servers: BenchServer[] = [];
  const stopOnSignal = (): void => {
    stopAll(servers);
    process.exit(130);
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  const reports: ScenarioReport[] = [];
  let redis: BenchServer;
  let postgres: BenchServer;
  try {
    redis = await startRedis(root);
    servers.push(redis);
    postgres = await startPostgres(root);
    servers.push(postgres);
    for (const server of [redis, postgres]) {
      console.log(
        `${server.startedHere ? 'started' : 'using the already running'} ${server.url} (${server.version})`,
      );
    }
    const quorumServers: string[] = [];
    const redisServers = async (count: number): Promise<string[]> => {
      for (let i = quorumServers.length; i < count - 1; i++) {
        const server = await startRedis(root, redisPort() + QUORUM_PORT_OFFSET + i);
        servers.push(server);
        quorumServers.push(server.url);
      }
      return [redis.url, ...quorumServers.slice(0, count - 1)];
    };
    const consensus = new Map<'zookeeper' | 'etcd', BenchServer>();
    const consensusServer = async (kind: 'zookeeper' | 'etcd'): Promise<string> => {
      let server = consensus.get(kind);
      if (!server) {
        server = kind === 'zookeeper' ? await startZooKeeper(root) : await startEtcd(root);
        servers.push(server);
        consensus.set(kind, server);
        console.log(
          `${server.startedHere ? 'started' : 'using the already running'} ${kind} ${server.url} (${server.version})`,
        );
      }
      return server.url;
    };
    for (const scenario of scenarios) {
      reports.push(
        await scenario.run({
          redisUrl: redis.url,
          postgresUrl: postgres.url,
          plan,
          quick: values.quick,
          redisServers,
          consensusServer,
          log: (message) => console.log(message),
        }),
      );
    }
  } finally {
    stopAll(servers);
  }

  for (const report of reports) {
    for (const section of report.sections) {
      console.log(`\n${report.title}, ${section.title}`);
      console.log(markdownTable(section.table).join('\n'));
      for (const note of section.notes ?? []) console.log(note);
    }
  }
  const targets = targetSummary(reports);
  if (targets) console.log(`\nTargets\n${markdownTable(targets).join('\n')}`);
  const paths = reportPaths(root, values.quick || partial);
  writeReport(
    {
      root,
      command: commandLine(argv),
      plan,
      quick: values.quick,
      partial,
      redisVersion: redis.version,
      redisUrl: redis.url,
      postgresVersion: postgres.version,
      postgresUrl: postgres.url,
      startedAt,
    },
    reports,
    paths,
  );
  console.log(`\nwrote ${paths.markdown} and the charts in ${paths.charts}`);
}

/** BENCHMARKS.md and bench/charts/ for a full run; a scratch folder for a smoke or partial one. */
function reportPaths(root: string, scratch: boolean): ReportPaths {
  if (!scratch) {
    return { markdown: join(root, 'BENCHMARKS.md'), charts: join(root, 'bench', 'charts') };
  }
  const dir = join(root, 'node_modules', '.cache', 'nestjs-locker-bench', 'report');
  return { markdown: join(dir, 'BENCHMARKS.md'), charts: join(dir, 'charts') };
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
  const env = [
    'LOCKER_PORT_OFFSET',
    'LOCKER_REDIS_PORT',
    'LOCKER_POSTGRES_PORT',
    'LOCKER_ZK_PORT',
    'LOCKER_ETCD_PORT',
  ]
    .filter((name) => process.env[name])
    .map((name) => `${name}=${process.env[name]} `)
    .join('');
  if (process.env.npm_lifecycle_event === 'bench') {
    return `${env}npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  }
  return `${env}${['node', ...process.execArgv, process.argv[1] ?? 'bench/run.js', ...argv].join(' ')}`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
