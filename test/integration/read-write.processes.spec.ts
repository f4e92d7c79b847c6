import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { uniqueId } from '../support/async.js';
import { readJsonLines } from '../support/event-log.js';
import { CLUSTER_PORT, PG_URL, REDIS_URL } from '../support/servers.js';
import { spawnWorker, type WorkerProcess, within } from '../support/worker-processes.js';

const WORKER = new URL('../fixtures/read-write.worker.mjs', import.meta.url).pathname;
const NS_PER_MS = 1_000_000n;
const now = (): bigint => process.hrtime.bigint();
const ms = (ns: bigint): number => Number(ns / 1_000n) / 1_000;

type Mode = 'read' | 'write';

/** One hold as a worker recorded it; times in monotonic ns. `end` of a killed hold: its expiry. */
interface Hold {
  readonly worker: number;
  readonly mode: Mode;
  readonly token: bigint;
  readonly start: bigint;
  readonly end: bigint;
}

/** A line of a worker: a hold, or a kept hold's start and renewals. */
interface WorkerLine {
  readonly mode: Mode;
  readonly token: string;
  readonly granted?: string;
  readonly releasing?: string;
  readonly requested?: string;
  readonly expiries?: [at: string, msLeft: number][];
}

const STORES = [
  { name: 'Redis', store: 'redis', url: REDIS_URL },
  { name: 'Redis Cluster', store: 'cluster', url: `redis://127.0.0.1:${CLUSTER_PORT}` },
  { name: 'Postgres', store: 'postgres', url: PG_URL },
] as const;

/** Survivors: each does this many rounds of a read (3 in 4) or a write, holding 3–10 ms. */
const SURVIVORS = 8;
const ROUNDS = 25;
const READ_SHARE = 0.75;
/** Short, so that the holds of the killed workers expire within the test. */
const TTL_MS = 1_000;
/**
 * A killed holder's lease counts until the expiry its last renewal reported; minus this, as the
 * store and this process read the wall clock at slightly different moments (ms rounding).
 */
const EXPIRY_MARGIN_NS = 5n * NS_PER_MS;

describe.each(STORES)('read-write locks across separate processes on $name', ({ store, url }) => {
  let dir = '';
  let workers: WorkerProcess[] = [];

  afterEach(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    workers = [];
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts one worker per config, waits until all are connected, then lets them all go at once. */
  async function startAll(configs: readonly Record<string, unknown>[]): Promise<WorkerProcess[]> {
    dir = mkdtempSync(join(tmpdir(), 'locker-rw-'));
    const keyPrefix = `read-write:${uniqueId()}:`;
    workers = configs.map((config, index) => {
      const outFile = join(dir, `${index}.jsonl`);
      return spawnWorker(WORKER, index, { store, url, keyPrefix, outFile, ttl: TTL_MS, ...config });
    });
    const allReady = Promise.all(workers.map((w) => w.ready)).then(() => 'ready');
    const anyExit = Promise.race(workers.map((w) => w.exited.then((how) => `exited: ${how}`)));
    const started = await within(
      Promise.race([allReady, anyExit]),
      40_000,
      `start of ${workers.length} workers`,
    );
    expect(started).toBe('ready');
    return workers;
  }

  const go = (group: readonly WorkerProcess[]): void => {
    for (const worker of group) worker.child.stdin!.write('go\n');
  };

  /** Kills a keeping worker once it holds; its hold, lasting until its last reported expiry. */
  async function killWhileHolding(worker: WorkerProcess): Promise<Hold> {
    const kept = await within(
      Promise.race([
        worker.holding.then(() => 'holding'),
        worker.exited.then((how) => `exited: ${how}`),
      ]),
      30_000,
      `a kept hold of worker ${worker.index}`,
    );
    expect(kept).toBe('holding');
    worker.child.kill('SIGKILL');
    expect(await within(worker.exited, 5_000, 'the kill')).toBe('SIGKILL');
    const lines = readJsonLines<WorkerLine>(worker.outFile);
    const ends = lines.flatMap((line) =>
      line.expiries!.map(([at, msLeft]) => BigInt(at) + BigInt(Math.floor(msLeft * 1e6))),
    );
    const end = ends.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).at(-1)! - EXPIRY_MARGIN_NS;
    // It was killed holding a live lease.
    expect(end > now() - 50n * NS_PER_MS).toBe(true);
    return {
      worker: worker.index,
      mode: lines[0]!.mode,
      token: BigInt(lines[0]!.token),
      start: BigInt(lines[0]!.granted!),
      end,
    };
  }

  it('never lets a writer hold with anyone, readers side by side, through kill -9 of a reader and a writer', async () => {
    const group = await startAll([
      { keep: 'read' },
      { keep: 'write' },
      ...Array.from({ length: SURVIVORS }, () => ({ rounds: ROUNDS, readShare: READ_SHARE })),
    ]);
    const [reader, writer] = [group[0]!, group[1]!];
    const survivors = group.slice(2);
    // The reader takes the key and is killed holding it; everyone else contends while its lease
    // still runs.
    go([reader]);
    const killedReader = await killWhileHolding(reader);
    go([writer, ...survivors]);
    // The writer gets in once the dead read expires (and the live reads before it end).
    const killedWriter = await killWhileHolding(writer);
    const exits = await within(
      Promise.all(survivors.map((w) => w.exited)),
      90_000,
      'end of the survivors',
    );
    expect(exits).toEqual(survivors.map(() => 'code 0'));

    const holds: Hold[] = [
      killedReader,
      killedWriter,
      ...survivors.flatMap((w) =>
        readJsonLines<WorkerLine>(w.outFile).map((line) => ({
          worker: w.index,
          mode: line.mode,
          token: BigInt(line.token),
          start: BigInt(line.granted!),
          end: BigInt(line.releasing!),
        })),
      ),
    ];
    expect(holds).toHaveLength(2 + SURVIVORS * ROUNDS);

    // Sweep over starts and ends: at equal times an end comes first (the recorded holds lie inside
    // the real ones, so touching holds did not overlap).
    const events = holds
      .flatMap((hold) => [
        { at: hold.start, hold, delta: 1 },
        { at: hold.end, hold, delta: -1 },
      ])
      .sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : x.delta - y.delta));
    let readers = 0;
    let writers = 0;
    let mostReaders = 0;
    const overlaps: string[] = [];
    for (const { hold, delta } of events) {
      if (hold.mode === 'read') readers += delta;
      else writers += delta;
      mostReaders = Math.max(mostReaders, readers);
      if (delta > 0 && (writers > 1 || (writers === 1 && readers > 0))) {
        overlaps.push(
          `worker ${hold.worker} started a ${hold.mode} with ${writers} writers and ${readers} readers in`,
        );
      }
    }
    // Fencing: a write's token is above every hold granted before it, and a read's above every
    // write granted before it.
    const byStart = [...holds].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const fencing: string[] = [];
    let highest = 0n;
    let highestWrite = 0n;
    for (const hold of byStart) {
      const floor = hold.mode === 'write' ? highest : highestWrite;
      if (hold.token <= floor)
        fencing.push(`${hold.mode} of worker ${hold.worker} got ${hold.token} after ${floor}`);
      if (hold.token > highest) highest = hold.token;
      if (hold.mode === 'write' && hold.token > highestWrite) highestWrite = hold.token;
    }
    const writes = holds.filter((hold) => hold.mode === 'write').length;
    console.info(
      `read-write on ${store}: ${holds.length} holds (${writes} writes), at most ${mostReaders} readers at once; ` +
        `the killed writer got in ${ms(killedWriter.start - killedReader.end)} ms after the killed read expired`,
    );
    expect(overlaps).toEqual([]);
    expect(fencing).toEqual([]);
    expect(mostReaders).toBeGreaterThan(1);
    // The killed writer got in only after the killed reader's lease ran out.
    expect(killedWriter.start > killedReader.end).toBe(true);
  }, 150_000);
});
