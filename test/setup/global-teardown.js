import { execFileSync } from 'node:child_process';

export default function globalTeardown() {
  const started = globalThis.__LOCKER_STARTED_SERVERS__ ?? [];
  if (started.length > 0) {
    execFileSync('bash', ['scripts/servers.sh', 'stop', ...started], { stdio: 'inherit' });
  }
}
