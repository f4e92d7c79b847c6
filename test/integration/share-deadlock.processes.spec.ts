import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { uniqueId } from '../support/async.js';
import { readJsonLines } from '../support/event-log.js';
import { CLUSTER_PORT, PG_URL, REDIS_URL } from '../support/servers.js';
import { spawnWorker, type WorkerProcess, within } from '../support/worker-processes.js';

const WORKER = new URL('../fixtures/share-deadlock.worker.mjs', import.meta.url).pathname;

/** What a worker appended: a cycle's outcome, a run of the shared call, a caller's result. */
interface WorkerLine {
  readonly outcome?: 'ran' | 'deadlock' | 'busy' | 'error' | 'released';
  readonly cycle?: string[];
  readonly message?: string;
  readonly run?: number;
  readonly result?: { builtBy: number; nonce: string };
  readonly error?: string;
  readonly code?: string;
}

const REDIS = { name: 'Redis', store: 'redis', url: REDIS_URL } as const;
const CLUSTER = {
  name: 'Redis Cluster',
  store: 'cluster',
  url: `redis://127.0.0.1:${CLUSTER_PORT}`,
} as const;
const POSTGRES = { name: 'Postgres', store: 'postgres', url: PG_URL } as const;

/** Starts workers of the spec on one store, and stops them (and their files) after each test. */
function workerPool(store: string, url: string) {
  const dirs: string[] = [];
  let workers: WorkerProcess[] = [];

  afterEach(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    workers = [];
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  let keyPrefix = '';
  return {
    /** Starts one worker per config (on the test's keys) and waits until each is connected. */
    async startAll(
      configs: readonly Record<string, unknown>[],
      sameTest = false,
    ): Promise<WorkerProcess[]> {
      const dir = mkdtempSync(join(tmpdir(), 'locker-share-'));
      dirs.push(dir);
      if (!sameTest) keyPrefix = `share-deadlock:${uniqueId()}:`;
      const first = workers.length;
      const started = configs.map((config, index) =>
        spawnWorker(WORKER, first + index, {
          store,
          url,
          keyPrefix,
          outFile: join(dir, `${index}.jsonl`),
          ...config,
        }),
      );
      workers.push(...started);
      const allReady = Promise.all(started.map((w) => w.ready)).then(() => 'ready');
      const anyExit = Promise.race(started.map((w) => w.exited.then((how) => `exited: ${how}`)));
      expect(await within(Promise.race([allReady, anyExit]), 40_000, 'start of the workers')).toBe(
        'ready',
      );
      return started;
    },
  };
}

const say = (group: readonly WorkerProcess[], line: string): void => {
  for (const worker of group) worker.child.stdin!.write(`${line}\n`);
};

/** Resolves when `worker` prints `text` (listening from now on). */
const saying = (worker: WorkerProcess, text: string): Promise<void> =>
  new Promise((resolve) => {
    worker.child.stdout!.on('data', (data: Buffer) => String(data).includes(text) && resolve());
  });

const lines = (worker: WorkerProcess): WorkerLine[] => readJsonLines<WorkerLine>(worker.outFile);
const finished = (group: readonly WorkerProcess[]): Promise<string[]> =>
  within(Promise.all(group.map((w) => w.exited)), 60_000, 'the end of every worker');

describe.each([REDIS, POSTGRES])('deadlocks across processes on $name', ({ store, url }) => {
  const pool = workerPool(store, url);

  /** Lets the group go, waits until each holds its first key, then lets `cyclers` ask for their second. */
  async function crossAll(group: readonly WorkerProcess[], cyclers = group): Promise<void> {
    say(group, 'go');
    await within(Promise.all(group.map((w) => w.holding)), 30_000, 'every first hold');
    say(cyclers, 'next');
  }

  it.each([2, 3, 4])(
    'a %i-cycle over as many processes: exactly one gives way, the rest run',
    async (size) => {
      const group = await pool.startAll(
        Array.from({ length: size }, (_, i) => ({
          job: 'cycle',
          first: `ring:${i}`,
          second: `ring:${(i + 1) % size}`,
        })),
      );
      await crossAll(group);
      expect(await finished(group)).toEqual(Array(size).fill('code 0'));
      const outcomes = group.map((worker) => lines(worker)[0]!);
      const gaveWay = outcomes.filter((line) => line.outcome === 'deadlock');
      expect(gaveWay).toHaveLength(1);
      expect([...gaveWay[0]!.cycle!].sort()).toEqual(
        Array.from({ length: size }, (_, i) => `ring:${i}`).sort(),
      );
      expect(outcomes.filter((line) => line.outcome === 'ran')).toHaveLength(size - 1);
    },
    90_000,
  );

  it('a near-cycle (the last key held by a process that waits for nothing) is never reported', async () => {
    const group = await pool.startAll([
      { job: 'cycle', first: 'near:0', second: 'near:1' },
      { job: 'cycle', first: 'near:1', second: 'near:2' },
      { job: 'hold', first: 'near:2' },
    ]);
    const [a, b, holder] = group as [WorkerProcess, WorkerProcess, WorkerProcess];
    await crossAll(group, [a, b]);
    // Both wait through at least two detection rounds (1 s each) before the holder lets go.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    say([holder], 'release');
    expect(await finished(group)).toEqual(['code 0', 'code 0', 'code 0']);
    expect(lines(a)[0]!.outcome).toBe('ran');
    expect(lines(b)[0]!.outcome).toBe('ran');
    expect(lines(holder)[0]!.outcome).toBe('released');
  }, 90_000);
});

describe.each([REDIS, CLUSTER, POSTGRES])(
  'shared runs across processes on $name',
  ({ store, url }) => {
    const pool = workerPool(store, url);

    it('8 processes × 4 racing callers: one run, 32 equal results', async () => {
      const group = await pool.startAll(
        Array.from({ length: 8 }, () => ({ job: 'share', callers: 4, runMs: 1_500, ttl: 5_000 })),
      );
      say(group, 'go');
      expect(await finished(group)).toEqual(Array(8).fill('code 0'));
      const all = group.flatMap(lines);
      expect(all.filter((line) => line.error)).toEqual([]);
      expect(all.filter((line) => line.run !== undefined)).toHaveLength(1);
      const results = all.filter((line) => line.result).map((line) => JSON.stringify(line.result));
      expect(results).toHaveLength(32);
      expect(new Set(results).size).toBe(1);
    }, 90_000);

    it('a runner killed mid-run: exactly one waiter runs again, and all 28 waiters share its result', async () => {
      const [runner] = (await pool.startAll([
        { job: 'share', callers: 1, hang: true, ttl: 1_500 },
      ])) as [WorkerProcess];
      const running = saying(runner, 'running');
      say([runner], 'go');
      await within(running, 20_000, 'the runner to start');
      const waiters = await pool.startAll(
        Array.from({ length: 7 }, () => ({ job: 'share', callers: 4, runMs: 300, ttl: 1_500 })),
        true,
      );
      const asked = Promise.all(waiters.map((worker) => saying(worker, 'asked')));
      say(waiters, 'go');
      // Every waiter has asked while the run is in progress before the runner dies.
      await within(asked, 20_000, 'every waiter to ask');
      runner.child.kill('SIGKILL');
      expect(await within(runner.exited, 5_000, 'the kill')).toBe('SIGKILL');
      expect(await finished(waiters)).toEqual(Array(7).fill('code 0'));
      const all = waiters.flatMap(lines);
      expect(all.filter((line) => line.error)).toEqual([]);
      const reruns = all.filter((line) => line.run !== undefined);
      expect(reruns).toHaveLength(1);
      const results = all.filter((line) => line.result).map((line) => JSON.stringify(line.result));
      expect(results).toHaveLength(28);
      expect(new Set(results).size).toBe(1);
      expect(JSON.parse(results[0]!).builtBy).toBe(reruns[0]!.run);
    }, 90_000);
  },
);
