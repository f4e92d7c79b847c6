import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, uniqueId } from '../support/async.js';
import { readJsonLines } from '../support/event-log.js';
import { checkSections, type Section } from '../support/section-checker.js';
import { REDIS_URL } from '../support/servers.js';

const WORKER = new URL('../fixtures/leader-instance.worker.mjs', import.meta.url).pathname;
const INSTANCES = ['a', 'b', 'c'] as const;
/** The term ttl the workers campaign with, as a duration string, and its renewal period (ttl/3). */
const TTL = '3s';
const TTL_MS = 3_000;
const RENEWAL_PERIOD_MS = TTL_MS / 3;
const NS_PER_MS = 1_000_000n;

/** One line of the shared log: see the worker. */
interface Entry {
  readonly instance: string;
  readonly event: 'ready' | 'acquired' | 'lost';
  readonly at: string;
  readonly pid?: number;
  readonly token?: string;
  readonly reason?: string;
}

interface Worker {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  exit?: string;
  stoppedByTest: boolean;
}

const now = (): bigint => process.hrtime.bigint();
const ms = (ns: bigint): number => Number(ns / 1_000n) / 1_000;

function startWorker(name: string, args: readonly string[]): Worker {
  const child = spawn(process.execPath, [WORKER, ...args], {
    // stdin: a pipe the worker watches, so that it stops even if this process dies.
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  const worker: Worker = {
    name,
    child,
    stoppedByTest: false,
    exited: new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        worker.exit = signal ?? `code ${code}`;
        child.stdin?.destroy();
        resolve();
      });
    }),
  };
  return worker;
}

describe('@LeaderElection across 3 processes on real Redis', () => {
  let dir = '';
  let logFile = '';
  let workers: Worker[] = [];
  /** Set by the tests, for the term analysis at the end. */
  let killed: { instance: string; at: bigint } | undefined;
  let takeoverMs = Number.NaN;
  let handoverMs = Number.NaN;

  const readLog = (): Entry[] => readJsonLines<Entry>(logFile);

  /** Polls `probe` every 20 ms until it returns a value; fails if a worker died on its own. */
  async function waitFor<T>(probe: () => T | undefined, limitMs: number, what: string): Promise<T> {
    const deadline = now() + BigInt(limitMs) * NS_PER_MS;
    for (;;) {
      const dead = workers.find((w) => w.exit !== undefined && !w.stoppedByTest);
      if (dead)
        throw new Error(`instance "${dead.name}" exited (${dead.exit}) while waiting for ${what}`);
      const value = probe();
      if (value !== undefined) return value;
      if (now() > deadline) throw new Error(`no ${what} within ${limitMs} ms`);
      await sleep(20);
    }
  }

  /** The instance leading now, by the log: its last event is `acquired`. */
  const currentLeader = (): Entry | undefined => {
    const last = new Map<string, Entry>();
    for (const entry of readLog()) if (entry.event !== 'ready') last.set(entry.instance, entry);
    const leading = [...last.values()].filter(
      (e) => e.event === 'acquired' && e.instance !== killed?.instance,
    );
    return leading.length === 1 ? leading[0] : undefined;
  };

  const workerOf = (instance: string): Worker => workers.find((w) => w.name === instance)!;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'locker-leader-'));
    logFile = join(dir, 'events.jsonl');
    const keyPrefix = `leader-election:${uniqueId()}:`;
    workers = INSTANCES.map((name) =>
      startWorker(name, [REDIS_URL, keyPrefix, name, logFile, TTL]),
    );
    await waitFor(
      () => (readLog().filter((e) => e.event === 'ready').length === 3 ? true : undefined),
      20_000,
      'start of all 3 instances',
    );
  }, 30_000);

  afterAll(async () => {
    for (const worker of workers) {
      if (worker.exit === undefined) {
        worker.stoppedByTest = true;
        worker.child.kill('SIGKILL');
      }
    }
    await Promise.all(workers.map((w) => w.exited));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('elects exactly one leader among the three', async () => {
    const leader = await waitFor(currentLeader, 5_000, 'leader');
    // Watch for a while (over three renewal periods): nobody else starts leading, nobody steps down.
    await sleep(3 * RENEWAL_PERIOD_MS + 500);
    const terms = readLog().filter((e) => e.event === 'acquired' || e.event === 'lost');
    expect(terms).toEqual([leader]);
  });

  it('moves leadership to another instance within ttl + one renewal period after kill -9 of the leader', async () => {
    const leader = await waitFor(currentLeader, 5_000, 'leader');
    const victim = workerOf(leader.instance);
    victim.stoppedByTest = true;
    victim.child.kill('SIGKILL');
    killed = { instance: leader.instance, at: now() };

    const next = await waitFor(
      () => readLog().find((e) => e.event === 'acquired' && BigInt(e.at) > killed!.at),
      TTL_MS + RENEWAL_PERIOD_MS + 5_000,
      'new leader after the kill',
    );
    takeoverMs = ms(BigInt(next.at) - killed.at);
    console.info(`leader takeover after kill -9: ${takeoverMs.toFixed(0)} ms`);
    expect(next.instance).not.toBe(leader.instance);
    expect(takeoverMs).toBeLessThanOrEqual(TTL_MS + RENEWAL_PERIOD_MS);
    expect(BigInt(next.token!)).toBeGreaterThan(BigInt(leader.token!));
  });

  it('hands leadership over at once when the leader closes its app', async () => {
    const leader = await waitFor(currentLeader, 5_000, 'leader');
    const closing = workerOf(leader.instance);
    closing.stoppedByTest = true;
    closing.child.kill('SIGTERM');
    const closedAt = now();

    const next = await waitFor(
      () => readLog().find((e) => e.event === 'acquired' && BigInt(e.at) > closedAt),
      TTL_MS + 5_000,
      'new leader after app.close()',
    );
    const stepDown = readLog().find(
      (e) => e.event === 'lost' && e.instance === leader.instance && e.token === leader.token,
    );
    expect(stepDown?.reason).toBe('shutdown');
    handoverMs = ms(BigInt(next.at) - BigInt(stepDown!.at));
    console.info(
      `leader handover after app.close(): ${handoverMs.toFixed(1)} ms after the step-down, ${ms(BigInt(next.at) - closedAt).toFixed(1)} ms after SIGTERM`,
    );
    expect(next.instance).not.toBe(leader.instance);
    // A lease that had to run out would take at least 2/3 of the ttl (renewal keeps at least that
    // much ahead); under one renewal period, it was released and the waiter woken by it.
    expect(handoverMs).toBeLessThan(RENEWAL_PERIOD_MS);
    await closing.exited;
    expect(closing.exit).toBe('code 0');
  });

  it('never had two leaders, and each term carries a larger fencing token than the last', async () => {
    const last = workers.find((w) => w.exit === undefined)!;
    last.stoppedByTest = true;
    last.child.kill('SIGTERM');
    await last.exited;

    const entries = readLog();
    const terms: Section[] = entries
      .filter((e) => e.event === 'acquired')
      .map((start) => {
        const end =
          start.instance === killed?.instance
            ? killed.at
            : BigInt(
                entries.find(
                  (e) =>
                    e.event === 'lost' && e.instance === start.instance && e.token === start.token,
                )!.at,
              );
        return {
          worker: INSTANCES.indexOf(start.instance as (typeof INSTANCES)[number]),
          token: BigInt(start.token!),
          start: BigInt(start.at),
          end,
        };
      });
    // One term per instance: the first leader until its kill, the second until its close, the last.
    expect(terms.map((t) => INSTANCES[t.worker]).sort()).toEqual([...INSTANCES]);
    expect(checkSections(terms)).toEqual([]);
    expect(Number.isFinite(takeoverMs) && Number.isFinite(handoverMs)).toBe(true);
  });
});
