import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import zookeeper from 'node-zookeeper-client';
import { parentPath } from '../../lib/backends/zookeeper/zookeeper-names.js';
import {
  type Lock,
  LockBackendError,
  LockLostError,
  LockManager,
  ZooKeeperLockBackend,
} from '../../lib/index.js';
import { aborted, eventually, sleep, uniqueId } from '../support/async.js';
import { ZK_ENSEMBLE_PORT } from '../support/servers.js';
import { spawnWorker, within } from '../support/worker-processes.js';

/** This suite's own three-server ensemble (client ports PORTS), started and stopped here. */
const PORTS = [ZK_ENSEMBLE_PORT, ZK_ENSEMBLE_PORT + 1, ZK_ENSEMBLE_PORT + 2];
const CONNECT = PORTS.map((port) => `127.0.0.1:${port}`).join(',');
const SERVERS_DIR = process.env.LOCKER_SERVERS_DIR ?? '/tmp/nestjs-locker-servers';
const TTL_MS = 3_000;
const SESSION_TIMEOUT_MS = 4_000;
const COMMAND_TIMEOUT_MS = 1_000;

function ensemble(action: 'start' | 'stop'): void {
  execFileSync('bash', ['scripts/servers.sh', action, `zookeeper-ensemble:${PORTS[0]}`], {
    stdio: 'ignore',
  });
}

/** A four-letter word's answer from the server on `port` ('' when it does not answer). */
function fourLetters(port: number, word: string): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.end(word));
    socket.setTimeout(2_000, () => socket.destroy());
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(''));
  });
}

/** The ensemble member's role: 'leader', 'follower', or '' when it does not serve. */
async function modeOf(port: number): Promise<string> {
  return /^Mode: (\w+)/m.exec(await fourLetters(port, 'srvr'))?.[1] ?? '';
}

/** Kills the server on `port` at once (SIGKILL), as a crash would. */
function crash(port: number): void {
  const pid = Number(readFileSync(`${SERVERS_DIR}/zk-${port}.pid`, 'utf8').trim());
  process.kill(pid, 'SIGKILL');
}

/** Every port of `PORTS` whose server has `mode`. */
async function serversIn(mode: string): Promise<number[]> {
  const modes = await Promise.all(PORTS.map(modeOf));
  return PORTS.filter((_, i) => modes[i] === mode);
}

describe('ZooKeeperLockBackend on a three-server ensemble, with servers and holders failing', () => {
  const cleanups: (() => unknown)[] = [];

  const manager = (keyPrefix: string): LockManager => {
    const backend = new ZooKeeperLockBackend({
      connectionString: CONNECT,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });
    const locks = new LockManager({ backend, keyPrefix });
    cleanups.push(() => locks.close());
    return locks;
  };

  beforeAll(() => ensemble('start'), 120_000);
  afterAll(() => ensemble('stop'), 60_000);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('lets a waiter take over from a holder stopped (SIGSTOP) past its session timeout, and tells the holder once it resumes', async () => {
    const keyPrefix = `zkstop:${uniqueId()}:`;
    const holder = spawnWorker('test/fixtures/zookeeper-holder.worker.mjs', 0, {
      connectionString: CONNECT,
      sessionTimeoutMs: 1_500,
      keyPrefix,
      key: 'job',
      // As long as the session allows (a longer ttl is refused: the session's end would free the
      // lock before it): the session's end and the ttl free the key together.
      ttl: 1_500,
      outFile: '',
    });
    cleanups.push(() => {
      holder.child.kill('SIGCONT');
      holder.child.kill('SIGKILL');
    });
    const lines: string[] = [];
    createInterface({ input: holder.child.stdout! }).on('line', (line) => lines.push(line));
    await eventually(() => lines.some((line) => line.startsWith('holding ')), 30_000);
    const holderToken = BigInt(lines.find((line) => line.startsWith('holding '))!.slice(8));

    const waiter = manager(keyPrefix);
    expect(await waiter.tryAcquire('job')).toBeNull();
    holder.child.kill('SIGSTOP');
    const stoppedAt = performance.now();
    const next = await within(
      waiter.acquire('job', { wait: 30_000, ttl: TTL_MS }),
      35_000,
      'take-over',
    );
    expect(next.fencingToken > holderToken).toBe(true);
    const tookOverMs = Math.round(performance.now() - stoppedAt);

    holder.child.kill('SIGCONT');
    // Its deadline passed while it was stopped, or the store no longer has its node: either way
    // it is told at once.
    await eventually(
      () => lines.some((line) => line === 'lost expired' || line === 'lost not-held'),
      30_000,
    );
    console.log(
      `holder stopped: the waiter took over after ${tookOverMs} ms (session timeout and ttl 1 500 ms)`,
    );
    // One holder: the waiter's lease is intact.
    expect(next.isHeld()).toBe(true);
    expect((await waiter.inspect('job'))?.fencingToken).toBe(next.fencingToken);
    await next.release();
  }, 90_000);

  it('keeps working with one follower killed, and fails in bounded time with a LockBackendError once a majority is lost', async () => {
    const keyPrefix = `zkfollow:${uniqueId()}:`;
    const locks = manager(keyPrefix);
    const rival = manager(keyPrefix);
    const held = await locks.acquire('held', { ttl: TTL_MS });
    const [follower, otherFollower] = await serversIn('follower');
    expect(follower).toBeDefined();

    crash(follower!);
    // Past two ttls: the held lock is renewed as usual, and new locks come and go.
    const until = performance.now() + 2 * TTL_MS;
    let cycles = 0;
    while (performance.now() < until) {
      const lock = await within(
        locks.acquire(`cycle:${cycles}`, { wait: 5_000 }),
        10_000,
        'acquire',
      );
      expect(await lock.release()).toBe(true);
      cycles++;
      await sleep(100);
    }
    expect(cycles).toBeGreaterThan(3);
    expect(held.isHeld()).toBe(true);
    expect(held.signal.aborted).toBe(false);
    expect(await rival.tryAcquire('held')).toBeNull();

    // A second server down: one of three left, no quorum, so it serves nobody.
    crash(otherFollower ?? (await serversIn('leader'))[0]!);
    const started = performance.now();
    const error = await within(
      locks.tryAcquire('after-majority').catch((e: unknown) => e),
      20_000,
      'answer without a quorum',
    );
    expect(error).toBeInstanceOf(LockBackendError);
    expect((error as LockBackendError).message).toMatch(/zookeeper backend failed to acquire/);
    const failedAfterMs = Math.round(performance.now() - started);
    expect(failedAfterMs).toBeLessThan(15_000);
    console.log(
      `majority lost: the acquire failed with LockBackendError after ${failedAfterMs} ms`,
    );
    // The held lock cannot be renewed: it is reported lost by its deadline, never kept silently.
    const reason = await aborted(held.signal, TTL_MS * 4);
    expect(reason).toBeInstanceOf(LockLostError);

    // Back to three servers for the next case.
    ensemble('stop');
    ensemble('start');
  }, 120_000);

  it('never has two holders when the leader is killed, and takes locks again within bounded time', async () => {
    const keyPrefix = `zklead:${uniqueId()}:`;
    const locks = manager(keyPrefix);
    const rival = manager(keyPrefix);
    const lock = await locks.acquire('held', { ttl: TTL_MS });
    const [leader] = await serversIn('leader');
    expect(leader).toBeDefined();

    crash(leader!);
    const killedAt = performance.now();
    // A new lock is granted again within a bounded time after the kill.
    let freshAfterMs = Number.NaN;
    const fresh = within(rival.acquire('fresh', { wait: 20_000 }), 25_000, 'acquire').then(
      (got) => {
        freshAfterMs = performance.now() - killedAt;
        return got;
      },
    );
    // While the survivors elect a leader and the clients move over, a rival keeps trying: it may
    // only ever get the key once the holder's lease is over by the holder's own clock.
    let taken: Lock | null = null;
    while (performance.now() - killedAt < 3 * TTL_MS && !taken) {
      taken = await rival.tryAcquire('held').catch(() => null);
      if (taken) expect(lock.isHeld()).toBe(false);
      await sleep(200);
    }
    if (taken) {
      expect(taken.fencingToken > lock.fencingToken).toBe(true);
    } else {
      // The lease survived the election: still held, renewed, and the rival refused.
      expect(lock.isHeld()).toBe(true);
      expect(await rival.tryAcquire('held')).toBeNull();
    }

    expect(await (await fresh).release()).toBe(true);
    console.log(
      `leader killed: the held lock ${lock.isHeld() ? 'survived' : 'was reported lost'}; a new lock after ${Math.round(freshAfterMs)} ms`,
    );
  }, 90_000);
  it('leaves nothing behind: a claim nobody releases is removed after its ttl, and the idle key node after it', async () => {
    const keyPrefix = `zkclean:${uniqueId()}:`;
    const locks = manager(keyPrefix);
    // A claim (as a @SingletonCron tick's): acquired, never released, its holder alive.
    expect(await locks.claim('tick', 1_000)).toBe(true);
    const admin = zookeeper.createClient(CONNECT, { sessionTimeout: 4_000 });
    const connected = new Promise<void>((resolve) => admin.once('connected', () => resolve()));
    admin.connect();
    await connected;
    cleanups.push(() => admin.close());
    const parent = parentPath('/nestjs-locker', `${keyPrefix}tick`);
    const children = (): Promise<string[] | undefined> =>
      new Promise((resolve) =>
        admin.getChildren(parent, (error, names) => resolve(error ? undefined : names)),
      );
    expect(await children()).toHaveLength(1);
    // The janitor removes the node once its ttl is over (its session lives on), then the key's
    // node once idle: nothing is left of the claim.
    await eventually(async () => ((await children()) ?? []).length === 0, 20_000, 100);
    await eventually(async () => (await children()) === undefined, 30_000, 100);
  }, 60_000);
});
