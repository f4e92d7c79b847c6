import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * The benchmark's own ports, apart from the test servers' (6390, 5440), so that a benchmark never
 * shares a server with a test run. `LOCKER_REDIS_PORT` and `LOCKER_POSTGRES_PORT` override them.
 */
export const DEFAULT_REDIS_PORT = 6394;
export const DEFAULT_POSTGRES_PORT = 5444;

/** A server for the benchmark; `stop()` stops it only if this process started it. */
export interface BenchServer {
  readonly url: string;
  readonly version: string;
  readonly startedHere: boolean;
  stop(): void;
}

/** The Redis port: `LOCKER_REDIS_PORT`, or the benchmark's default. */
export function redisPort(): number {
  return Number(process.env.LOCKER_REDIS_PORT ?? DEFAULT_REDIS_PORT);
}

/** The PostgreSQL port: `LOCKER_POSTGRES_PORT`, or the benchmark's default. */
export function postgresPort(): number {
  return Number(process.env.LOCKER_POSTGRES_PORT ?? DEFAULT_POSTGRES_PORT);
}

/** Starts Redis on `port` with scripts/servers.sh unless it already runs, and reads its version. */
export async function startRedis(root: string, port = redisPort()): Promise<BenchServer> {
  const server = startWithScript(root, 'redis', port);
  const url = `redis://127.0.0.1:${port}`;
  try {
    return { ...server, url, version: await redisVersion(url) };
  } catch (error) {
    server.stop();
    throw error;
  }
}

/**
 * Starts PostgreSQL on `port` with scripts/servers.sh unless it already runs, and reads its
 * version. The URL is the `postgres` database as the `postgres` superuser (trust authentication).
 */
export async function startPostgres(root: string, port = postgresPort()): Promise<BenchServer> {
  // fsync on, as in production: a durable write costs what it would on this disk.
  const server = startWithScript(root, 'postgres', port, { LOCKER_PG_FSYNC: 'on' });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  try {
    return { ...server, url, version: await postgresVersion(url) };
  } catch (error) {
    server.stop();
    throw error;
  }
}

/** Stops every server in `servers` that this process started; safe to call twice. */
export function stopAll(servers: readonly BenchServer[]): void {
  for (const server of servers) server.stop();
}

function startWithScript(
  root: string,
  name: 'redis' | 'postgres',
  port: number,
  env: Record<string, string> = {},
): { startedHere: boolean; stop(): void } {
  const target = `${name}:${port}`;
  const output = execFileSync('bash', ['scripts/servers.sh', 'start', target], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const startedHere = output.split('\n').includes(`started ${target}`);
  let stopped = false;
  return {
    startedHere,
    stop() {
      if (!startedHere || stopped) return;
      stopped = true;
      execFileSync('bash', ['scripts/servers.sh', 'stop', target], {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    },
  };
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

/** The server's version and its fsync setting, which decides what a durable write costs. */
async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ version: string; fsync: string }>(
      "SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync",
    );
    const row = result.rows[0];
    return row ? `${row.version}, fsync ${row.fsync}` : 'unknown';
  } finally {
    await client.end();
  }
}
