import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * The benchmark's own ports, apart from the test servers' (6390, 5440), so that a benchmark never
 * shares a server with a test run. `LOCKER_PORT_OFFSET` moves all of them, as it moves the tests'
 * (a benchmark beside a test run with the same offset still has servers of its own);
 * `LOCKER_REDIS_PORT`, `LOCKER_POSTGRES_PORT`, `LOCKER_ZK_PORT` and `LOCKER_ETCD_PORT` set one.
 */
export const DEFAULT_REDIS_PORT = 6394;
export const DEFAULT_POSTGRES_PORT = 5444;
/** ZooKeeper's and etcd's (client) ports for the consensus scenario; etcd's peer port is +1. */
export const DEFAULT_ZOOKEEPER_PORT = 2194;
export const DEFAULT_ETCD_PORT = 2394;

/** A server for the benchmark; `stop()` stops it only if this process started it. */
export interface BenchServer {
  readonly url: string;
  readonly version: string;
  readonly startedHere: boolean;
  stop(): void;
}

/** The port `variable` names, or `fallback` moved by `LOCKER_PORT_OFFSET`. */
function benchPort(variable: string, fallback: number): number {
  const set = process.env[variable];
  return set ? Number(set) : fallback + Number(process.env.LOCKER_PORT_OFFSET ?? 0);
}

/** The Redis port: `LOCKER_REDIS_PORT`, or the benchmark's default (plus the offset). */
export function redisPort(): number {
  return benchPort('LOCKER_REDIS_PORT', DEFAULT_REDIS_PORT);
}

/** The PostgreSQL port: `LOCKER_POSTGRES_PORT`, or the benchmark's default (plus the offset). */
export function postgresPort(): number {
  return benchPort('LOCKER_POSTGRES_PORT', DEFAULT_POSTGRES_PORT);
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

/**
 * Starts a standalone ZooKeeper on `port` with scripts/servers.sh unless it already runs; the URL
 * is its connection string.
 */
export async function startZooKeeper(
  root: string,
  port = benchPort('LOCKER_ZK_PORT', DEFAULT_ZOOKEEPER_PORT),
): Promise<BenchServer> {
  const server = startWithScript(root, 'zookeeper', port);
  const answer = await fourLetterWord(port, 'srvr').catch(() => '');
  const version = /^Zookeeper version: ([^-,\s]+)/m.exec(answer)?.[1] ?? 'unknown';
  return { ...server, url: `127.0.0.1:${port}`, version };
}

/** Starts one etcd member on `port` (peer port + 1) with scripts/servers.sh unless it runs. */
export async function startEtcd(
  root: string,
  port = benchPort('LOCKER_ETCD_PORT', DEFAULT_ETCD_PORT),
): Promise<BenchServer> {
  const server = startWithScript(root, 'etcd', port);
  const url = `http://127.0.0.1:${port}`;
  const version = await fetch(`${url}/version`)
    .then((response) => response.json() as Promise<{ etcdserver?: string }>)
    .then((body) => body.etcdserver ?? 'unknown')
    .catch(() => 'unknown');
  return { ...server, url, version };
}

/** Stops every server in `servers` that this process started; safe to call twice. */
export function stopAll(servers: readonly BenchServer[]): void {
  for (const server of servers) server.stop();
}

function startWithScript(
  root: string,
  name: 'redis' | 'postgres' | 'zookeeper' | 'etcd',
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

/** A ZooKeeper four-letter word's answer (the server closes the connection after it). */
function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error('no answer')));
    socket.on('connect', () => socket.write(word));
    socket.on('data', (data) => {
      answer += String(data);
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}
