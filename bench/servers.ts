import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';

/** A Redis server for the benchmark; `stop()` stops it only if this process started it. */
export interface BenchRedis {
  readonly url: string;
  readonly version: string;
  readonly startedHere: boolean;
  stop(): void;
}

/**
 * Starts Redis with scripts/servers.sh unless it already runs (port from `LOCKER_REDIS_PORT`,
 * default 6390), and reads its version.
 */
export async function startRedis(root: string): Promise<BenchRedis> {
  const output = execFileSync('bash', ['scripts/servers.sh', 'start', 'redis'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = /^started redis:(\d+)$/m.exec(output)?.[1];
  const port = started ?? process.env.LOCKER_REDIS_PORT ?? '6390';
  const url = `redis://127.0.0.1:${port}`;
  let stopped = false;
  const stop = (): void => {
    if (!started || stopped) return;
    stopped = true;
    execFileSync('bash', ['scripts/servers.sh', 'stop', `redis:${port}`], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  };
  try {
    return { url, version: await redisVersion(url), startedHere: started !== undefined, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

async function redisVersion(url: string): Promise<string> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const info = await client.info('server');
    return /^redis_version:(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown';
  } finally {
    client.disconnect();
  }
}
