import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, uniqueId } from '../support/async.js';
import { readJsonLines } from '../support/event-log.js';
import { checkSections, type Section } from '../support/section-checker.js';
import { ETCD_URL, REDIS_URL, ZK_CONNECT } from '../support/servers.js';

/** The stores the instances lock on, as store-backend.support.mjs opens them. */
const STORES = [
  { name: 'Redis', store: 'redis', url: REDIS_URL },
  { name: 'ZooKeeper', store: 'zookeeper', url: ZK_CONNECT },
  { name: 'etcd', store: 'etcd', url: ETCD_URL },
] as const;

const WORKER = new URL('../fixtures/cron-instance.worker.mjs', import.meta.url).pathname;
const ENSURE_TOOLS = new URL('../../scripts/ensure-tools.sh', import.meta.url).pathname;

/** The instances, each with its clock offset as faketime takes it. */
const CLOCKS = [
  { name: 'behind', offset: '-0.3s' },
  { name: 'exact', offset: '+0s' },
  { name: 'ahead', offset: '+0.3s' },
] as const;
/** How many ticks of job A to see once every instance is up. */
const TICKS_WANTED = 20;
const PERIOD_MS = 1_000;
/** Job B's `ttl` in the worker. */
const SLOW_TTL_MS = 3_000;
const TAKEOVER_SLACK_MS = 2_000;
const NS_PER_MS = 1_000_000n;

/** One line of the shared log: see the worker for the shapes. */
interface Entry {
  readonly instance: string;
  readonly event?: 'ready' | 'start' | 'end';
  readonly job?: 'A' | 'B';
  readonly pid?: number;
  readonly at?: string;
  readonly tick?: number;
  readonly token?: string;
  readonly start?: string;
  readonly end?: string;
}

interface TickRun {
  readonly instance: string;
  readonly tick: number;
  readonly start: bigint;
}

interface SlowRun {
  readonly instance: string;
  readonly token: bigint;
  readonly start: bigint;
  /** Absent while the run is in progress (or when its process died). */
  readonly end?: bigint;
}

/** A worker process: `faketime`, which forks `node` and waits for it. */
interface Worker {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  exit?: string;
  killedByTest: boolean;
}

function startWorker(name: string, offset: string, args: readonly string[]): Worker {
  // detached: its own process group, so that the last-resort cleanup can kill faketime and node
  // together.
  const child = spawn('faketime', ['-f', offset, process.execPath, WORKER, ...args], {
    detached: true,
    // stdin: a pipe the worker watches, so that it stops even if this process dies.
    stdio: ['pipe', 'inherit', 'inherit'],
    env: { ...process.env, FAKETIME_DONT_FAKE_MONOTONIC: '1' },
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      worker.exit = signal ?? `code ${code}`;
      child.stdin?.destroy();
      resolve();
    });
    child.once('error', (error) => {
      worker.exit = error.message;
      resolve();
    });
  });
  const worker: Worker = { name, child, exited, killedByTest: false };
  return worker;
}

const now = (): bigint => process.hrtime.bigint();

/** Resolves `true` when `promise` settles within `ms`. */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

describe.each(STORES)(
  '@SingletonCron across 3 processes whose clocks are 300 ms apart (faketime, real $name)',
  (store) => {
    let dir = '';
    let logFile = '';
    let workers: Worker[] = [];
    /** When the last instance was up (monotonic ns). */
    let allUpAt = 0n;
    /** The log once job A has run TICKS_WANTED ticks with every instance up, and when it was read. */
    let snapshot: Entry[] = [];
    let snapshotAt = 0n;

    const readLog = (): Entry[] => readJsonLines<Entry>(logFile);

    const nodePidOf = (worker: Worker): number | undefined =>
      readLog().find((e) => e.event === 'ready' && e.instance === worker.name)?.pid ??
      childPidOf(worker.child.pid);

    /** Polls `probe` every 50 ms until it returns a value; fails if a worker died on its own. */
    async function waitFor<T>(
      probe: () => T | undefined,
      limitMs: number,
      what: string,
    ): Promise<T> {
      const deadline = now() + BigInt(limitMs) * NS_PER_MS;
      for (;;) {
        const dead = workers.find((w) => w.exit !== undefined && !w.killedByTest);
        if (dead)
          throw new Error(
            `instance "${dead.name}" exited (${dead.exit}) while waiting for ${what}`,
          );
        const value = probe();
        if (value !== undefined) return value;
        if (now() > deadline) throw new Error(`no ${what} within ${limitMs} ms`);
        await sleep(50);
      }
    }

    /** SIGTERM to node (faketime then exits by itself), SIGKILL to the whole group if that hangs. */
    async function stop(worker: Worker): Promise<void> {
      const pgid = worker.child.pid;
      if (pgid === undefined) return;
      let forced = false;
      if (worker.exit === undefined) {
        const pid = nodePidOf(worker);
        if (pid !== undefined) signal(pid, 'SIGTERM');
        if (pid === undefined || !(await within(worker.exited, 10_000))) {
          forced = true;
          signal(-pgid, 'SIGKILL');
          await within(worker.exited, 5_000);
        }
      }
      // Whatever is left of the group (node orphaned by a faketime that was killed).
      if (groupAlive(pgid)) {
        forced = true;
        signal(-pgid, 'SIGKILL');
      }
      // A killed faketime could not remove its shared memory.
      if (forced) {
        rmSync(`/dev/shm/faketime_shm_${pgid}`, { force: true });
        rmSync(`/dev/shm/sem.faketime_sem_${pgid}`, { force: true });
      }
    }

    beforeAll(async () => {
      execFileSync('bash', [ENSURE_TOOLS, 'faketime'], { stdio: ['ignore', 'inherit', 'inherit'] });
      dir = mkdtempSync(join(tmpdir(), 'locker-cron-'));
      logFile = join(dir, 'events.jsonl');
      const keyPrefix = `singleton-cron:${uniqueId()}:`;
      workers = CLOCKS.map(({ name, offset }) =>
        startWorker(name, offset, [JSON.stringify(store), keyPrefix, name, logFile]),
      );

      const ready = await waitFor(
        () => {
          const entries = readLog().filter((e) => e.event === 'ready');
          return entries.length === CLOCKS.length ? entries : undefined;
        },
        30_000,
        'start of all 3 instances',
      );
      for (const { at } of ready) if (BigInt(at!) > allUpAt) allUpAt = BigInt(at!);

      snapshot = await waitFor(
        () => {
          const entries = readLog();
          const ticks = new Set(
            tickRuns(entries)
              .filter((r) => r.start > allUpAt)
              .map((r) => r.tick),
          );
          return ticks.size >= TICKS_WANTED ? entries : undefined;
        },
        40_000,
        `${TICKS_WANTED} ticks of job A with every instance up`,
      );
      snapshotAt = now();
    }, 90_000);

    afterAll(async () => {
      await Promise.all(workers.map(stop));
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('runs every tick of a 1 ms job exactly once across the instances, none missed', () => {
      const runs = tickRuns(snapshot);
      const ticks = runs.filter((r) => r.start > allUpAt).map((r) => r.tick);
      const [first, last] = [Math.min(...ticks), Math.max(...ticks)];
      expect(last - first).toBeGreaterThanOrEqual((TICKS_WANTED - 1) * PERIOD_MS);

      const ranOn = new Map<number, string[]>();
      for (const run of runs) ranOn.set(run.tick, [...(ranOn.get(run.tick) ?? []), run.instance]);
      const wrong: string[] = [];
      for (let tick = first; tick <= last; tick += PERIOD_MS) {
        const instances = ranOn.get(tick) ?? [];
        if (instances.length !== 1) {
          wrong.push(`${new Date(tick).toISOString()} ran on [${instances.join(', ')}]`);
        }
      }
      expect(wrong).toEqual([]);
    });

    it('never overlaps two runs of a job that outlasts its period, across processes', () => {
      const runs = slowRuns(snapshot);
      expect(runs.filter((r) => r.end !== undefined).length).toBeGreaterThanOrEqual(3);
      expect(runs.filter((r) => r.end === undefined).length).toBeLessThanOrEqual(1);
      // A run still in progress lasts at least until the log was read.
      expect(checkSections(runs.map((r) => section(r, r.end ?? snapshotAt)))).toEqual([]);
    });

    it('moves the slow job to another instance within ttl + one period after its instance is killed with SIGKILL', async () => {
      const running = await waitFor(
        () => {
          const since = now() - BigInt(PERIOD_MS) * NS_PER_MS;
          return slowRuns(readLog()).find((r) => r.end === undefined && r.start > since);
        },
        10_000,
        'run of job B that started less than 1 s ago',
      );
      const victim = workers.find((w) => w.name === running.instance)!;
      const pid = nodePidOf(victim)!;
      victim.killedByTest = true;
      process.kill(pid, 'SIGKILL');
      const killedAt = now();

      const limitMs = SLOW_TTL_MS + PERIOD_MS + TAKEOVER_SLACK_MS;
      const takeover = await waitFor(
        () => slowRuns(readLog()).find((r) => r.start > killedAt),
        limitMs + 5_000,
        'run of job B after the kill',
      );
      expect(await within(victim.exited, 5_000)).toBe(true);
      expect(takeover.instance).not.toBe(victim.name);
      expect(Number((takeover.start - killedAt) / NS_PER_MS)).toBeLessThanOrEqual(limitMs);

      // The killed run never ended; no other run started while it could still be going.
      const runs = slowRuns(readLog());
      const killed = runs.find((r) => r.instance === victim.name && r.start === running.start)!;
      expect(killed.end).toBeUndefined();
      const readAt = now();
      expect(
        checkSections(runs.map((r) => section(r, r === killed ? killedAt : (r.end ?? readAt)))),
      ).toEqual([]);
    }, 30_000);
  },
);

function tickRuns(entries: readonly Entry[]): TickRun[] {
  return entries
    .filter((e) => e.job === 'A')
    .map((e) => ({ instance: e.instance, tick: e.tick!, start: BigInt(e.start!) }));
}

/** Job B's runs, from their start lines, each with its end when it ended. */
function slowRuns(entries: readonly Entry[]): SlowRun[] {
  const ends = new Map(
    entries
      .filter((e) => e.job === 'B' && e.event === 'end')
      .map((e) => [`${e.instance}/${e.start}`, BigInt(e.end!)]),
  );
  return entries
    .filter((e) => e.job === 'B' && e.event === 'start')
    .map((e) => {
      const end = ends.get(`${e.instance}/${e.start}`);
      const run = { instance: e.instance, token: BigInt(e.token!), start: BigInt(e.start!) };
      return end === undefined ? run : { ...run, end };
    });
}

function section(run: SlowRun, end: bigint): Section {
  return {
    worker: CLOCKS.findIndex((c) => c.name === run.instance),
    token: run.token,
    start: run.start,
    end,
  };
}

/** The pid of `faketime`'s child (node), from /proc. */
function childPidOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return children ? Number(children.split(' ')[0]) : undefined;
  } catch {
    return undefined;
  }
}
