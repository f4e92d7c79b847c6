// Starts the real servers the suites need (unless they already run) and builds dist/ for the
// tests that spawn separate Node processes. Records what it started so teardown stops only that.
import { execFileSync } from 'node:child_process';

export default function globalSetup() {
  const started = execFileSync(
    'bash',
    ['scripts/servers.sh', 'start', 'redis', 'redis-cluster', 'postgres'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
    .split('\n')
    .filter((line) => line.startsWith('started '))
    .map((line) => line.slice('started '.length));
  globalThis.__LOCKER_STARTED_SERVERS__ = started;
  execFileSync('node', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
}
