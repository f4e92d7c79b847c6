// Starts the real servers the suites need (unless they already run) and builds dist/ (ESM and
// CommonJS, scripts/build.sh) for the tests that spawn separate Node processes or pack the package.
// Records what it started so teardown stops only that.
import { execFileSync } from 'node:child_process';

export default function globalSetup() {
  // redis:6400-6404 are the Redlock quorum's five nodes (test/support/servers.ts, REDLOCK_PORTS),
  // moved like every test port by LOCKER_PORT_OFFSET (scripts/servers.sh applies it to its defaults).
  const offset = Number(process.env.LOCKER_PORT_OFFSET ?? 0);
  const redlock = [6400, 6401, 6402, 6403, 6404].map((port) => `redis:${port + offset}`);
  const started = execFileSync(
    'bash',
    [
      'scripts/servers.sh',
      'start',
      'redis',
      'redis-cluster',
      'postgres',
      'zookeeper',
      'etcd',
      ...redlock,
    ],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
    .split('\n')
    .filter((line) => line.startsWith('started '))
    .map((line) => line.slice('started '.length));
  globalThis.__LOCKER_STARTED_SERVERS__ = started;
  execFileSync('bash', ['scripts/build.sh'], { stdio: 'inherit' });
}
