import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Etcd3 } from 'etcd3';
import {
  EtcdLockBackend,
  type EtcdLockBackendOptions,
  type Lock,
  LockBackendError,
  LockManager,
} from '../../lib/index.js';
import { aborted, eventually, sleep, uniqueId } from '../support/async.js';
import { ETCD_CLUSTER_PORT } from '../support/servers.js';
import { spawnWorker, within } from '../support/worker-processes.js';

const WORKER = new URL('../fixtures/etcd-holder.worker.mjs', import.meta.url).pathname;
const SERVERS = new URL('../../scripts/servers.sh', import.meta.url).pathname;
const STATE_DIR = process.env.LOCKER_SERVERS_DIR ?? '/tmp/nestjs-locker-servers';
const PORTS = Array.from({ length: 3 }, (_, i) => ETCD_CLUSTER_PORT + i);
const ENDPOINTS = PORTS.map((port) => `http://127.0.0.1:${port}`);
const CLUSTER = `etcd-cluster:${ETCD_CLUSTER_PORT}`;
const COMMAND_TIMEOUT_MS = 2_000;

const servers = (action: 'start' | 'stop'): void => {
  execFileSync('bash', [SERVERS, action, CLUSTER], { stdio: 'ignore' });
};
const pidOf = (port: number): number =>
  Number(readFileSync(join(STATE_DIR, `etcd-${port}.pid`), 'utf8').trim());
const signal = (port: number, name: NodeJS.Signals): void => {
  process.kill(pidOf(port), name);
};

/** The client port of the current leader, asked of each live member. */
async function leaderPort(live: readonly number[] = PORTS): Promise<number> {
  for (const port of live) {
    const client = new Etcd3({ hosts: `http://127.0.0.1:${port}` });
    try {
      const status = await client.maintenance.status();
      const members = await client.cluster.memberList({});
      const leader = members.members.find((member) => member.ID === status.leader);
      const url = leader?.clientURLs[0];
      if (url) return Number(new URL(url).port);
    } catch {
      // That member does not answer: ask the next.
    } finally {
      client.close();
    }
  }
  throw new Error('no member knows a leader');
}

describe('EtcdLockBackend when cluster members fail', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  const backend = (options: Partial<EtcdLockBackendOptions> = {}): EtcdLockBackend => {
    const created = new EtcdLockBackend({
      endpoints: ENDPOINTS,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      ...options,
    } as EtcdLockBackendOptions);
    cleanups.push(() => created.close());
    return created;
  };
  const managerOn = (store: EtcdLockBackend, keyPrefix: string): LockManager => {
    const manager = new LockManager({ backend: store, keyPrefix });
    cleanups.push(() => manager.close());
    return manager;
  };

  beforeAll(() => servers('start'), 60_000);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    // A member killed by a case: the cluster is made anew. Stopped first: servers.sh's start,
    // with some members still up, relaunches each wiped member while the old ones still run, and
    // they tell it that it "has already been bootstrapped".
    servers('stop');
    servers('start');
  }, 60_000);
  afterAll(() => servers('stop'), 60_000);

  it('keeps granting, extending and releasing locks with a follower killed', async () => {
    const leader = await leaderPort();
    const follower = PORTS.find((port) => port !== leader)!;
    signal(follower, 'SIGKILL');
    const prefix = `follower:${uniqueId()}:`;
    const [a, b] = [managerOn(backend(), prefix), managerOn(backend(), prefix)];
    for (let round = 0; round < 5; round++) {
      const lock = await a.acquire('key', { ttl: 1_000 });
      expect(await b.tryAcquire('key')).toBeNull();
      await lock.extend();
      expect(await lock.release()).toBe(true);
      const next = await b.acquire('key', { ttl: 1_000 });
      expect(next.fencingToken).toBeGreaterThan(lock.fencingToken);
      await next.release();
    }
  }, 60_000);

  it('never has two holders when the leader is killed, and takes locks again soon after', async () => {
    const prefix = `leader:${uniqueId()}:`;
    const [holder, rival] = [managerOn(backend(), prefix), managerOn(backend(), prefix)];
    const held = await holder.acquire('key', { ttl: 2_000 });
    const leader = await leaderPort();
    const killedAt = performance.now();
    signal(leader, 'SIGKILL');
    // Until the holder lets go: the rival gets in only once the holder's signal has aborted.
    let rivalLock: Lock | null = null;
    let recoveredMs: number | undefined;
    for (let i = 0; i < 40 && !rivalLock; i++) {
      rivalLock = await rival.tryAcquire('key').catch(() => null);
      if (rivalLock) expect(held.signal.aborted).toBe(true);
      const other = await rival.tryAcquire(`other-${i}`).catch(() => null);
      if (other && recoveredMs === undefined) recoveredMs = performance.now() - killedAt;
      await other?.release();
      await sleep(100);
    }
    // Locks are taken again within a bound: a new leader is elected within about a second.
    expect(recoveredMs).toBeDefined();
    expect(recoveredMs!).toBeLessThan(10_000);
    console.log(
      `etcd faults: locks taken again ${Math.round(recoveredMs!)} ms after the leader was killed`,
    );
    if (!rivalLock) {
      // The holder kept its lock through the election (renewed by the new leader).
      expect(held.isHeld()).toBe(true);
      await held.release();
      rivalLock = await rival.acquire('key', { wait: 5_000 });
    }
    expect(rivalLock.fencingToken).toBeGreaterThan(held.fencingToken);
  }, 60_000);

  it('fails with a LockBackendError within the command timeout when a majority is lost', async () => {
    const prefix = `majority:${uniqueId()}:`;
    const locks = managerOn(backend(), prefix);
    const held = await locks.acquire('held', { ttl: 2_000 });
    const leader = await leaderPort();
    for (const port of PORTS.filter((each) => each !== leader)) signal(port, 'SIGKILL');
    const started = performance.now();
    const error = await locks.tryAcquire('key').catch((e: unknown) => e);
    const elapsedMs = performance.now() - started;
    console.log(`etcd faults: acquire without quorum failed after ${Math.round(elapsedMs)} ms`);
    expect(error).toBeInstanceOf(LockBackendError);
    expect((error as LockBackendError).backend).toBe('etcd');
    expect(elapsedMs).toBeLessThan(COMMAND_TIMEOUT_MS + 3_000);
    // The held lock cannot be renewed: its holder is told before its lease can have run out.
    const reason = await aborted(held.signal, 10_000);
    expect((reason as { code?: string }).code).toBe('LOCK_LOST');
  }, 60_000);

  it('lets a waiter take over from a holder paused past its lease; the resumed holder is told', async () => {
    const prefix = `paused:${uniqueId()}:`;
    const outFile = join(tmpdir(), `etcd-holder-${uniqueId()}.jsonl`);
    const worker = spawnWorker(WORKER, 0, {
      endpoints: ENDPOINTS,
      keyPrefix: prefix,
      key: 'key',
      ttl: 1_000,
      outFile,
    });
    cleanups.push(async () => {
      worker.child.kill('SIGCONT');
      worker.child.stdin?.end();
      await within(worker.exited, 10_000, 'worker exit');
    });
    await within(worker.holding, 20_000, 'worker holding the lock');
    const lines = () =>
      readFileSync(outFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { event: string; token?: string; code?: string });
    const holderToken = BigInt(lines()[0]!.token!);
    worker.child.kill('SIGSTOP');
    const waiter = managerOn(backend(), prefix);
    const taken = await waiter.acquire('key', { ttl: 5_000, wait: 15_000 });
    expect(taken.fencingToken).toBeGreaterThan(holderToken);
    worker.child.kill('SIGCONT');
    // Told at its first look after the resume (its deadline passed while it was stopped). One CI
    // run under load saw no word within 15 s (not reproduced alone): a generous bound, and what the
    // holder wrote if even that is not met.
    await eventually(() => lines().some((line) => line.event === 'lost'), 30_000, 50).catch(
      (error: unknown) => {
        throw new Error(
          `${String(error)}; the holder wrote ${JSON.stringify(lines())}, its exit: ${worker.child.exitCode ?? worker.child.signalCode ?? 'running'}`,
        );
      },
    );
    expect(lines().find((line) => line.event === 'lost')?.code).toBe('LOCK_LOST');
    expect(taken.isHeld()).toBe(true);
    await taken.release();
  }, 60_000);
});
