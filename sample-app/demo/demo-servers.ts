import { execFileSync } from 'node:child_process';

/**
 * Starts redis-server and PostgreSQL on 127.0.0.1 through the project's `scripts/servers.sh`
 * (installing them with apt-get when missing and root). Returns the servers it started, so that
 * {@link stopServers} stops those and leaves alone any that were already running.
 */
export function startServers(script: string, targets: readonly string[]): string[] {
  const output = execFileSync('bash', [script, 'start', ...targets], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return output
    .split('\n')
    .filter((line) => line.startsWith('started '))
    .map((line) => line.slice('started '.length));
}

/** Stops the servers {@link startServers} started. */
export function stopServers(script: string, started: readonly string[]): void {
  if (started.length === 0) return;
  execFileSync('bash', [script, 'stop', ...started], { stdio: ['ignore', 'ignore', 'inherit'] });
}
