import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import { sleep } from './async.js';

const STATE_DIR = process.env.LOCKER_SERVERS_DIR ?? '/tmp/nestjs-locker-servers';
/** Generous bounds for a noisy 2-core VM, not measurements. */
const GONE_LIMIT_MS = 15_000;
const READY_LIMIT_MS = 60_000;

const run = promisify(execFile);

/** What {@link TestPostgresServer.crashAndRestart} saw: how long each part took, and the log. */
export interface CrashReport {
  /** From `kill -9` until the postmaster and all its children were gone (reaped). */
  readonly goneMs: number;
  /** From `kill -9` until the restarted server answered a query. */
  readonly downMs: number;
  /** What the server logged from the kill on (crash recovery, WAL redo). */
  readonly log: string;
}

/**
 * A PostgreSQL of the test's own on 127.0.0.1:`port` (data in `$LOCKER_SERVERS_DIR/pg-PORT`), with
 * fsync on, started and stopped through `scripts/servers.sh`, for crash tests.
 */
export class TestPostgresServer {
  constructor(readonly port: number) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get dataDir(): string {
    return `${STATE_DIR}/pg-${this.port}`;
  }

  /** Starts the server unless it runs; refuses one that runs with fsync off. */
  start(): void {
    execFileSync('bash', ['scripts/servers.sh', 'start', `postgres:${this.port}`], {
      stdio: 'ignore',
      env: { ...process.env, LOCKER_PG_FSYNC: 'on' },
    });
    const opts = readFileSync(`${this.dataDir}/postmaster.opts`, 'utf8');
    if (!opts.includes('fsync=on')) {
      throw new Error(
        `postgres:${this.port} already runs without fsync=on; stop it (scripts/servers.sh stop postgres:${this.port})`,
      );
    }
  }

  stop(): void {
    execFileSync('bash', ['scripts/servers.sh', 'stop', `postgres:${this.port}`], {
      stdio: 'ignore',
    });
  }

  /** Runs one statement on a connection of its own (a pool would hold connections the crash kills). */
  async query<Row extends object>(text: string, values: unknown[] = []): Promise<Row[]> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.query<Row>(text, values)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** The postmaster's pid, from its lock file. */
  postmasterPid(): number {
    return Number(readFileSync(`${this.dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  }

  /**
   * `kill -9` the postmaster, so the server loses its shared buffers and replays WAL on restart,
   * then starts it again. The killed postmaster stays a zombie for a while (~1.5 s here) and
   * `pg_ctl start` refuses until it is reaped; its children exit once they notice it died and must
   * be gone too, or the new postmaster finds its shared memory in use. Resolves once the server
   * answers a query. Never blocks the event loop, so the caller's timers (lease renewal) keep
   * running throughout.
   */
  async crashAndRestart(): Promise<CrashReport> {
    const logFile = `${STATE_DIR}/pg-${this.port}.log`;
    const logOffset = statSync(logFile).size;
    const pid = this.postmasterPid();
    const family = [pid, ...childrenOf(pid)];
    const killedAt = performance.now();
    process.kill(pid, 'SIGKILL');
    while (family.some((member) => existsSync(`/proc/${member}`))) {
      if (performance.now() - killedAt > GONE_LIMIT_MS) {
        throw new Error(
          `postgres processes ${family.join(' ')} still exist ${GONE_LIMIT_MS} ms after kill -9`,
        );
      }
      await sleep(20);
    }
    const goneMs = performance.now() - killedAt;
    await run('bash', ['scripts/servers.sh', 'start', `postgres:${this.port}`], {
      env: { ...process.env, LOCKER_PG_FSYNC: 'on' },
    });
    await this.#untilAnswering();
    const downMs = performance.now() - killedAt;
    return { goneMs, downMs, log: readFileSync(logFile).subarray(logOffset).toString('utf8') };
  }

  async #untilAnswering(): Promise<void> {
    const startedAt = performance.now();
    for (;;) {
      const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch (error) {
        if (performance.now() - startedAt > READY_LIMIT_MS) throw error;
      } finally {
        await client.end().catch(() => undefined);
      }
      await sleep(50);
    }
  }
}

/** The pids whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) children.push(Number(entry));
  }
  return children;
}
