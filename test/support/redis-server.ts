import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const STATE_DIR = process.env.LOCKER_SERVERS_DIR ?? '/tmp/nestjs-locker-servers';

/** A redis-server of the test's own, on 127.0.0.1:`port`, for fault injection. */
export class TestRedisServer {
  constructor(
    readonly port: number,
    /** More redis-server arguments, such as `['--maxmemory-policy', 'allkeys-lru']`. */
    readonly args: readonly string[] = [],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  start(): void {
    execFileSync('bash', ['scripts/servers.sh', 'start', `redis:${this.port}`], {
      stdio: 'ignore',
      env: { ...process.env, LOCKER_REDIS_ARGS: this.args.join(' ') },
    });
  }

  stop(): void {
    execFileSync('bash', ['scripts/servers.sh', 'stop', `redis:${this.port}`], { stdio: 'ignore' });
  }

  /**
   * `kill -9` (the server started with `--save ''` and no AOF, so every key is lost), then starts it
   * again on the same port. Resolves once it answers.
   */
  async crashAndRestart(): Promise<void> {
    await this.kill();
    this.start();
  }

  /** `kill -9`, and resolves once the process is gone. */
  async kill(): Promise<void> {
    const pid = this.pid();
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 200 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 25));
  }

  /** SIGSTOP: connections stay open but nothing is answered. */
  pause(): void {
    process.kill(this.pid(), 'SIGSTOP');
  }

  resume(): void {
    process.kill(this.pid(), 'SIGCONT');
  }

  private pid(): number {
    return Number(readFileSync(`${STATE_DIR}/redis-${this.port}.pid`, 'utf8').trim());
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
