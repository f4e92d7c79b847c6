// `npm run demo`: starts Redis and Postgres on ports of the demo's own, runs three instances of the
// sample app against them, checks the outcomes, prints a summary, stops what it started. Exits 1
// when a check fails, 130 on Ctrl-C.
//   DEMO_REDIS_PORT (6398), DEMO_PG_PORT (5448), DEMO_HTTP_PORT (3101: instances on 3101..3103);
//   LOCKER_PORT_OFFSET (0) moves all three defaults, as it moves the tests' ports.
//   DEMO_LOCK_STORE=postgres keeps the locks in the Postgres of the data instead of Redis
//   (postgres-advisory: its advisory mode); DEMO_LOCK_STORE=zookeeper or etcd in a ZooKeeper or
//   etcd of the demo's own (DEMO_ZK_PORT 2198, DEMO_ETCD_PORT 2398). The steps a store does not
//   offer (deadlock detection, shared results: the advisory mode, ZooKeeper, etcd) are skipped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServers, stopServers } from './demo-servers.js';
import { formatSummary } from './demo-summary.js';
import { type DemoLockStore, runDemo } from './run-demo.js';

const offset = Number(process.env.LOCKER_PORT_OFFSET ?? 0);
const redisPort = Number(process.env.DEMO_REDIS_PORT ?? 6398 + offset);
const pgPort = Number(process.env.DEMO_PG_PORT ?? 5448 + offset);
const httpPort = Number(process.env.DEMO_HTTP_PORT ?? 3101 + offset);
const zkPort = Number(process.env.DEMO_ZK_PORT ?? 2198 + offset);
const etcdPort = Number(process.env.DEMO_ETCD_PORT ?? 2398 + offset);
const serversScript = fileURLToPath(new URL('../../../scripts/servers.sh', import.meta.url));
const STORES: readonly DemoLockStore[] = [
  'redis',
  'postgres',
  'postgres-advisory',
  'zookeeper',
  'etcd',
];
const lockStore = (process.env.DEMO_LOCK_STORE ?? 'redis') as DemoLockStore;
if (!STORES.includes(lockStore)) {
  console.error(`DEMO_LOCK_STORE must be one of ${STORES.join(', ')}, got "${lockStore}"`);
  process.exit(2);
}
/** The lock store's own server, when it is neither the Redis nor the Postgres of the demo. */
const lockServer =
  lockStore === 'zookeeper'
    ? { target: `zookeeper:${zkPort}`, label: `ZooKeeper 127.0.0.1:${zkPort}` }
    : lockStore === 'etcd'
      ? { target: `etcd:${etcdPort}`, label: `etcd 127.0.0.1:${etcdPort}` }
      : undefined;
const main = fileURLToPath(new URL('../src/main.js', import.meta.url));

const abort = new AbortController();
let interrupted = false;
const onSignal = (): void => {
  interrupted = true;
  console.error('\ninterrupted: stopping the instances and servers the demo started…');
  abort.abort(new Error('interrupted'));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

const logDir = mkdtempSync(join(tmpdir(), 'nestjs-locker-demo-'));
let started: string[] = [];
let exitCode = 1;
try {
  const targets = [
    `redis:${redisPort}`,
    `postgres:${pgPort}`,
    ...(lockServer ? [lockServer.target] : []),
  ];
  console.error(`starting ${targets.join(', ')} (scripts/servers.sh)…`);
  started = startServers(serversScript, targets);
  const result = await runDemo({
    main,
    lockStore,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    zookeeperConnect: `127.0.0.1:${zkPort}`,
    etcdEndpoints: [`http://127.0.0.1:${etcdPort}`],
    databaseUrl: `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
    dbSchema: 'sample_demo',
    ports: [httpPort, httpPort + 1, httpPort + 2],
    logDir,
    signal: abort.signal,
    progress: (line) => console.error(line),
  });
  console.log(
    formatSummary(
      result,
      lockServer
        ? `${lockServer.label}, data in Postgres 127.0.0.1:${pgPort}`
        : lockStore === 'redis'
          ? `Redis 127.0.0.1:${redisPort}, data in Postgres 127.0.0.1:${pgPort}`
          : `Postgres 127.0.0.1:${pgPort}${lockStore === 'postgres-advisory' ? ' (advisory mode)' : ''}, with the data`,
    ),
  );
  exitCode = result.checks.every((c) => c.ok) ? 0 : 1;
  if (exitCode === 0) rmSync(logDir, { recursive: true, force: true });
  else console.log(`Instance logs: ${logDir}`);
} catch (error) {
  if (!interrupted) {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    console.error(`Instance logs: ${logDir}`);
  }
} finally {
  try {
    stopServers(serversScript, started);
  } catch (error) {
    console.error(`could not stop ${started.join(', ')}: ${String(error)}`);
  }
}
process.exit(interrupted ? 130 : exitCode);
