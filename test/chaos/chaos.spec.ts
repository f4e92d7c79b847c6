import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestEnsemble } from '../support/consensus-ensemble.js';
import { TestPostgresServer } from '../support/postgres-server.js';
import { TestRedisServer } from '../support/redis-server.js';
import { testPort } from '../support/servers.js';
import { type ChaosScenario, runTrial, type TrialResult } from './chaos-runner.js';
import { consensusScenarios } from './consensus-scenarios.js';
import { reliabilityTable, writeReliabilityReport } from './reliability-report.js';
import { type ChaosServers, chaosScenarios, PROFILES } from './scenarios.js';
import { TcpProxy } from './tcp-proxy.js';

// `npm test` runs the short profile of every scenario; `npm run chaos` the full one, which also
// writes RELIABILITY.md.
const profile = PROFILES[process.env.CHAOS_PROFILE === 'full' ? 'full' : 'short'];
const REDIS_PORT = testPort(6393);
const POSTGRES_PORT = testPort(5443);
const QUORUM_PORTS = [6450, 6451, 6452, 6453, 6454].map(testPort);
/** Three-member ensembles of the chaos suite's own (client ports +0..+2; ZooKeeper's peers +10..+22). */
const ZOOKEEPER_PORT = testPort(2230);
const ETCD_PORT = testPort(2430);

/** A paused holder must have lost its lock and had its late write refused. */
const pausedHolderCaught = (trial: TrialResult): void => {
  expect(trial.lostSections).toBeGreaterThanOrEqual(1);
  expect(trial.staleWritesRejected).toBeGreaterThanOrEqual(1);
};
/** With no majority, acquires failed, each with a typed error (no hang: the trial ended in time). */
const majorityLostFailedTyped = (trial: TrialResult): void => {
  expect(trial.errors).toBeGreaterThanOrEqual(1);
  for (const name of trial.errorNames) {
    expect(['LockBackendError', 'LockNotAcquiredError']).toContain(name);
  }
};

/** What each scenario must show besides "no violation", so a fault that did nothing fails. */
const EXPECT: Record<string, (trial: TrialResult) => void> = {
  'holder kill -9': (trial) => expect(trial.killed).toBeGreaterThanOrEqual(1),
  'holder paused past its ttl': pausedHolderCaught,
  'zookeeper: holder kill -9': (trial) => expect(trial.killed).toBeGreaterThanOrEqual(1),
  'zookeeper: holder paused past its lease': pausedHolderCaught,
  'zookeeper: majority lost': majorityLostFailedTyped,
  'etcd: holder kill -9': (trial) => expect(trial.killed).toBeGreaterThanOrEqual(1),
  'etcd: holder paused past its lease': pausedHolderCaught,
  'etcd: majority lost': majorityLostFailedTyped,
};

describe(`lock checker under faults (${profile.name} profile)`, () => {
  const redis = new TestRedisServer(REDIS_PORT);
  const postgres = new TestPostgresServer(POSTGRES_PORT);
  const proxy = new TcpProxy(REDIS_PORT);
  const quorum = QUORUM_PORTS.map((port) => new TestRedisServer(port));
  const zookeeper = new TestEnsemble('zookeeper', ZOOKEEPER_PORT);
  const etcd = new TestEnsemble('etcd', ETCD_PORT);
  const results: TrialResult[] = [];
  const startedAt = new Date();
  let servers: ChaosServers;
  const scenarios: ChaosScenario[] = [
    ...chaosScenarios(profile, {
      redis,
      quorum,
      postgres,
      proxy,
      get proxyPort() {
        return servers.proxyPort;
      },
    }),
    ...consensusScenarios(profile, zookeeper),
    ...consensusScenarios(profile, etcd),
  ];

  beforeAll(async () => {
    execFileSync('bash', ['scripts/ensure-tools.sh', 'faketime'], { stdio: 'inherit' });
    redis.start();
    for (const node of quorum) node.start();
    postgres.start();
    zookeeper.start();
    etcd.start();
    servers = { redis, quorum, postgres, proxy, proxyPort: await proxy.start() };
  }, 120_000);

  afterAll(async () => {
    await proxy.stop();
    redis.stop();
    for (const node of quorum) node.stop();
    postgres.stop();
    zookeeper.stop();
    etcd.stop();
    console.log(reliabilityTable(results).join('\n'));
    if (profile.name === 'full') {
      writeReliabilityReport(
        'RELIABILITY.md',
        profile,
        new Map(scenarios.map((s) => [s.name, s.description])),
        results,
        startedAt,
      );
    }
  }, 60_000);

  for (const scenario of scenarios) {
    const limitMs = profile.trials * (scenario.durationMs + 8 * scenario.ttlMs + 60_000);
    it(
      `${scenario.name}: no overlap, no stale write, every loss signalled, progress after healing`,
      async () => {
        for (let trial = 0; trial < profile.trials; trial++) {
          const result = await runTrial(scenario, (message) =>
            process.stderr.write(`  [${scenario.name} #${trial + 1}] ${message}\n`),
          );
          results.push(result);
          expect(result.violations).toEqual([]);
          expect(result.sections).toBeGreaterThan(profile.workers);
          // Every fault that healed while the workers still ran was followed by progress (checked
          // above); at least one of them did.
          if (result.faults > 0) expect(result.recoveryMs.length).toBeGreaterThanOrEqual(1);
          EXPECT[scenario.name]?.(result);
        }
      },
      limitMs,
    );
  }
});
