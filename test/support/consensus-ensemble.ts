import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const STATE_DIR = process.env.LOCKER_SERVERS_DIR ?? '/tmp/nestjs-locker-servers';

/** The consensus stores a {@link TestEnsemble} runs. */
export type EnsembleKind = 'zookeeper' | 'etcd';

/** What scripts/servers.sh calls each kind, whole and by member, and its pid files. */
const NAMES: Record<EnsembleKind, { whole: string; member: string; pidPrefix: string }> = {
  zookeeper: { whole: 'zookeeper-ensemble', member: 'zookeeper-member', pidPrefix: 'zk' },
  etcd: { whole: 'etcd-cluster', member: 'etcd-member', pidPrefix: 'etcd' },
};

/**
 * Three ZooKeeper servers or etcd members of the test's own on 127.0.0.1 (client ports `port`,
 * `port + 1`, `port + 2`), started by scripts/servers.sh, for fault injection: kill a member, bring
 * it back on its data, find the leader.
 */
export class TestEnsemble {
  readonly ports: readonly number[];

  constructor(
    readonly kind: EnsembleKind,
    readonly port: number,
  ) {
    this.ports = [port, port + 1, port + 2];
  }

  /** The ZooKeeper connection string (`host:port,...`), every member. */
  get connectString(): string {
    return this.ports.map((port) => `127.0.0.1:${port}`).join(',');
  }

  /** The etcd endpoints (`http://host:port`), every member. */
  get endpoints(): string[] {
    return this.ports.map((port) => `http://127.0.0.1:${port}`);
  }

  /** Starts all three from empty data and waits until they serve. */
  start(): void {
    this.#servers('start', `${NAMES[this.kind].whole}:${this.port}`);
  }

  stop(): void {
    this.#servers('stop', `${NAMES[this.kind].whole}:${this.port}`);
  }

  /** `kill -9` of member `index`; resolves once its process is gone. */
  async kill(index: number): Promise<void> {
    const pid = this.#pid(index);
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    for (let i = 0; i < 400 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 25));
  }

  /** Starts member `index` again on the data it had; it serves once it rejoins a majority. */
  restart(index: number): void {
    this.#servers('start', `${NAMES[this.kind].member}:${this.ports[index]}`);
  }

  /** Waits until member `index` serves again (it rejoined a majority), up to `timeoutMs`. */
  async serving(index: number, timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if ((await this.#role(index)) !== undefined) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.kind} member on port ${this.ports[index]} did not serve again`);
  }

  /** The index of the current leader, once one of the members says it leads (up to 30 s). */
  async leader(timeoutMs = 30_000): Promise<number> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      for (let index = 0; index < this.ports.length; index++) {
        if ((await this.#role(index)) === 'leader') return index;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no ${this.kind} member led within ${timeoutMs} ms`);
  }

  /** `'leader'`, `'follower'`, or `undefined` when member `index` does not serve. */
  async #role(index: number): Promise<'leader' | 'follower' | undefined> {
    const port = this.ports[index]!;
    if (this.kind === 'zookeeper') {
      const answer = await fourLetterWord(port, 'srvr').catch(() => '');
      const mode = /^Mode: (\w+)/m.exec(answer)?.[1];
      if (mode === 'leader') return 'leader';
      return mode === 'follower' ? 'follower' : undefined;
    }
    // etcd's gRPC gateway: the status of the member asked, with the cluster's leader.
    try {
      const response = await fetch(`http://127.0.0.1:${port}/v3/maintenance/status`, {
        method: 'POST',
        body: '{}',
        signal: AbortSignal.timeout(1_000),
      });
      if (!response.ok) return undefined;
      const status = (await response.json()) as {
        header?: { member_id?: string };
        leader?: string;
      };
      if (!status.leader || status.leader === '0') return undefined;
      return status.leader === status.header?.member_id ? 'leader' : 'follower';
    } catch {
      return undefined;
    }
  }

  #pid(index: number): number {
    const file = `${STATE_DIR}/${NAMES[this.kind].pidPrefix}-${this.ports[index]}.pid`;
    return Number(readFileSync(file, 'utf8').trim());
  }

  #servers(action: 'start' | 'stop', target: string): void {
    execFileSync('bash', ['scripts/servers.sh', action, target], { stdio: 'ignore' });
  }
}

/** A ZooKeeper four-letter word's answer (the server closes the connection after it). */
function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(1_000, () => socket.destroy(new Error('no answer')));
    socket.on('connect', () => socket.write(word));
    socket.on('data', (data) => {
      answer += String(data);
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
