import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { lockKeyOf } from '../../lib/backends/redis/redis-keys.js';
import { sleep, uniqueId } from '../support/async.js';
import { readJsonLines } from '../support/event-log.js';
import { checkSections, type Section } from '../support/section-checker.js';
import { REDIS_URL } from '../support/servers.js';
import { spawnWorker, type WorkerProcess, within } from '../support/worker-processes.js';

const WORKER = new URL('../fixtures/lock-shapes.worker.mjs', import.meta.url).pathname;
const NS_PER_MS = 1_000_000n;
const now = (): bigint => process.hrtime.bigint();
const ms = (ns: bigint): number => Number(ns / 1_000n) / 1_000;
const sorted = (times: readonly bigint[]): bigint[] =>
  [...times].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
const earliest = (times: readonly bigint[]): bigint => sorted(times)[0]!;
const latest = (times: readonly bigint[]): bigint => sorted(times).at(-1)!;

/** One hold as a worker recorded it (see the worker); times in monotonic ns. */
interface Hold {
  readonly worker: number;
  readonly token: bigint;
  readonly requested: bigint;
  readonly granted: bigint;
  readonly releasing: bigint;
  readonly released: bigint;
  readonly keys?: readonly string[];
  readonly a?: KeyView | null;
  readonly b?: KeyView | null;
}
/** What a multi-key worker saw of a key while holding its lock. */
interface KeyView {
  readonly token: string;
  readonly mine: boolean;
}
/** A line of a semaphore worker keeping its permit, until it is killed or told to release. */
interface KeptPermit {
  readonly token: string;
  readonly granted?: string;
  readonly expiries?: [at: string, msLeft: number][];
}

describe('fair locks, semaphores and multi-key locks across separate processes on real Redis', () => {
  let dir = '';
  let keyPrefix = '';
  let workers: WorkerProcess[] = [];

  afterEach(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    workers = [];
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts one worker per config, waits until all are connected, then lets them all go at once. */
  async function startAll(configs: readonly Record<string, unknown>[]): Promise<WorkerProcess[]> {
    dir = mkdtempSync(join(tmpdir(), 'locker-shapes-'));
    keyPrefix = `lock-shapes:${uniqueId()}:`;
    workers = configs.map((config, index) => {
      const outFile = join(dir, `${index}.jsonl`);
      return spawnWorker(WORKER, index, { redisUrl: REDIS_URL, keyPrefix, outFile, ...config });
    });
    const allReady = Promise.all(workers.map((w) => w.ready)).then(() => 'ready');
    const anyExit = Promise.race(workers.map((w) => w.exited.then((how) => `exited: ${how}`)));
    const started = await within(
      Promise.race([allReady, anyExit]),
      30_000,
      `start of ${workers.length} workers`,
    );
    expect(started).toBe('ready');
    for (const worker of workers) worker.child.stdin!.write('go\n');
    return workers;
  }

  const exitsOf = (group: readonly WorkerProcess[], limitMs: number): Promise<string[]> =>
    within(Promise.all(group.map((w) => w.exited)), limitMs, 'end of the workers');

  const holdsOf = (group: readonly WorkerProcess[]): Hold[] =>
    group.flatMap((w) =>
      readJsonLines<Record<string, unknown>>(w.outFile)
        .filter((line) => line.requested !== undefined)
        .map((line) => ({
          ...line,
          worker: w.index,
          token: BigInt(line.token as string),
          requested: BigInt(line.requested as string),
          granted: BigInt(line.granted as string),
          releasing: BigInt(line.releasing as string),
          released: BigInt(line.released as string),
        })),
    );

  const sections = (holds: readonly Hold[]): Section[] =>
    holds.map((h) => ({ worker: h.worker, token: h.token, start: h.granted, end: h.releasing }));

  describe('fair lock', () => {
    const CONTENDERS = 8;
    const ROUNDS = 60;
    /**
     * Allowance per hand-off for what is not a hold: the release script's reply, the hand-off
     * message reaching the next waiter and that process being scheduled (8 processes, Redis and
     * Jest on two cores), plus the waiter's own first round trip. A few ms each: at most 22 ms
     * over a whole wait was seen at a load average of 20. 50 each is generous, and a waiter waits
     * for at most 8 hand-offs in turn. A lost hand-off costs a waiter its ticket-refresh sleep
     * (750 ms at this ttl) on top, more than these allowances add up to.
     */
    const HANDOFF_SLACK_MS = 50;
    /**
     * How much later than a waiter's timestamp another process may have asked and still be served
     * first, in turn: it asked before the waiter's request reached Redis. A few ms (25 at worst seen
     * on a loaded machine); an unfair lock serves processes that asked hundreds of ms later.
     */
    const QUEUE_RACE_MS = 100;

    it('gives 8 processes equal shares, in turn, none waiting longer than the holders ahead of it', async () => {
      const group = await startAll(
        Array.from({ length: CONTENDERS }, () => ({ mode: 'fair', rounds: ROUNDS, ttl: 3_000 })),
      );
      expect(await exitsOf(group, 40_000)).toEqual(group.map(() => 'code 0'));
      const holds = holdsOf(group);
      expect(holds).toHaveLength(CONTENDERS * ROUNDS);
      expect(checkSections(sections(holds))).toEqual([]);

      // Shares over the window in which all 8 were contending: from the last first request to the
      // first last release. An unfair lock lets some process finish early, which ends the window
      // while the others are behind.
      const from = latest(group.map((w) => holds.find((h) => h.worker === w.index)!.requested));
      const to = earliest(group.map((w) => holds.findLast((h) => h.worker === w.index)!.released));
      const shares = group.map(
        (w) =>
          holds.filter((h) => h.worker === w.index && h.granted >= from && h.granted <= to).length,
      );
      const mean = shares.reduce((a, b) => a + b) / CONTENDERS;
      expect(mean).toBeGreaterThanOrEqual(ROUNDS / 2);
      expect(shares.filter((share) => Math.abs(share - mean) > 0.1 * mean)).toEqual([]);

      // Each wait against the holds it waited for: the one running when it asked and those granted
      // before it.
      const late: string[] = [];
      let longest = { waitMs: 0, boundMs: 0 };
      let leastMarginMs = Number.POSITIVE_INFINITY;
      // In turn: nobody who asked later is served first (see QUEUE_RACE_MS).
      let mostOvertakenByMs = 0;
      for (const hold of holds) {
        const ahead = holds.filter(
          (x) =>
            x.worker !== hold.worker && x.granted < hold.granted && x.released > hold.requested,
        );
        const aheadMs = ahead.reduce(
          (sum, x) => sum + ms(x.released - latest([x.granted, hold.requested])),
          0,
        );
        const waitMs = ms(hold.granted - hold.requested);
        const boundMs = aheadMs + (ahead.length + 1) * HANDOFF_SLACK_MS;
        if (waitMs > boundMs) {
          late.push(
            `worker ${hold.worker} waited ${waitMs} ms behind ${ahead.length} holds of ${aheadMs} ms`,
          );
        }
        if (waitMs > longest.waitMs) longest = { waitMs, boundMs };
        leastMarginMs = Math.min(leastMarginMs, boundMs - waitMs);
        for (const x of ahead) {
          mostOvertakenByMs = Math.max(mostOvertakenByMs, ms(x.requested - hold.requested));
        }
      }
      console.info(
        `fair: shares ${shares.join(' ')} (mean ${mean}); longest wait ${longest.waitMs} ms ` +
          `(bound ${longest.boundMs.toFixed(1)} ms); least margin under the bound ` +
          `${leastMarginMs.toFixed(1)} ms; served before one that asked up to ` +
          `${mostOvertakenByMs.toFixed(1)} ms earlier`,
      );
      expect(late).toEqual([]);
      expect(mostOvertakenByMs).toBeLessThan(QUEUE_RACE_MS);
    }, 60_000);
  });

  describe('semaphore', () => {
    const CONTENDERS = 32;
    const PERMITS = 4;
    /** Short, so that the permits of the killed holders come back within the test. */
    const TTL_MS = 1_000;
    const ROUNDS = 20;
    /** Holders killed mid-hold (workers 0 and 1). */
    const VICTIMS = 2;
    /**
     * Worker 2 keeps a permit from before the kill until this long after the dead permits expired,
     * so that the semaphore stays live meanwhile: a key whose permits all expired goes as a whole,
     * but a live one must have its dead permits dropped one by one. Enough for waiters to notice
     * them gone (they retry when the first permit is due to expire: a few ms here).
     */
    const ANCHOR_EXTRA_MS = 1_500;
    /**
     * A killed holder's permit counts until the expiry its last renewal reported; minus this, as
     * the store and this process read the wall clock at slightly different moments (ms rounding).
     */
    const EXPIRY_MARGIN_NS = 5n * NS_PER_MS;

    /** When the permit kept by a worker expires, by what it last reported, less the margin. */
    const keptPermit = (worker: WorkerProcess): { token: bigint; start: bigint; end: bigint } => {
      const lines = readJsonLines<KeptPermit>(worker.outFile).filter((line) => line.expiries);
      const ends = lines.flatMap((line) =>
        line.expiries!.map(([at, msLeft]) => BigInt(at) + BigInt(Math.floor(msLeft * 1e6))),
      );
      const start = BigInt(lines[0]!.granted!);
      return { token: BigInt(lines[0]!.token), start, end: latest(ends) - EXPIRY_MARGIN_NS };
    };

    it('never lets more than 4 of 32 processes hold a permit, counting killed holders until their permits expire', async () => {
      const group = await startAll(
        Array.from({ length: CONTENDERS }, (_, i) => ({
          mode: 'semaphore',
          rounds: ROUNDS,
          permits: PERMITS,
          ttl: TTL_MS,
          ...(i <= VICTIMS ? { keepAt: 1 } : {}),
        })),
      );
      const [victims, anchor] = [group.slice(0, VICTIMS), group[VICTIMS]!];
      const survivors = group.slice(VICTIMS);
      await within(Promise.all([...victims, anchor].map((w) => w.holding)), 20_000, 'kept permits');
      const killedAt = now();
      for (const victim of victims) victim.child.kill('SIGKILL');
      expect(await exitsOf(victims, 5_000)).toEqual(victims.map(() => 'SIGKILL'));
      const killed = victims.map(keptPermit);
      // They were killed holding live permits.
      expect(killed.filter((k) => k.end <= killedAt)).toEqual([]);
      const reclaimable = latest(killed.map((k) => k.end));
      await sleep(ms(reclaimable - now()) + ANCHOR_EXTRA_MS);
      anchor.child.stdin!.write('release\n');
      expect(await exitsOf(survivors, 40_000)).toEqual(survivors.map(() => 'code 0'));

      const holds = holdsOf(group);
      expect(holds).toHaveLength(survivors.length * ROUNDS + victims.length);
      const anchorHeldUntil = holds.find(
        (h) => h.worker === VICTIMS && h.token === keptPermit(anchor).token,
      )!.releasing;
      // Sweep: at equal times an end comes before a start (the recorded holds lie inside the real
      // ones, so touching intervals did not overlap).
      const events = [...holds.map((h) => ({ start: h.granted, end: h.releasing })), ...killed]
        .flatMap((i) => [
          { at: i.start, delta: 1 },
          { at: i.end, delta: -1 },
        ])
        .sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : x.delta - y.delta));
      let holders = 0;
      let mostHolders = 0;
      let mostWhileDead = 0;
      let refilledAt: bigint | undefined;
      for (const { at, delta } of events) {
        holders += delta;
        mostHolders = Math.max(mostHolders, holders);
        if (at > killedAt && at < reclaimable) mostWhileDead = Math.max(mostWhileDead, holders);
        if (at > reclaimable && holders === PERMITS) refilledAt ??= at;
      }
      console.info(
        `semaphore: most holders at once ${mostHolders} of ${PERMITS}, ${mostWhileDead} while ` +
          `${VICTIMS} killed holders' permits were live; all ${PERMITS} held again ` +
          `${refilledAt === undefined ? 'never' : `${ms(refilledAt - reclaimable)} ms`} after those expired`,
      );
      expect(mostHolders).toBe(PERMITS);
      // The dead permits came back while the semaphore was live (worker 2 still held its permit).
      expect(refilledAt).toBeDefined();
      expect(refilledAt! < anchorHeldUntil).toBe(true);
      const tokens = [...holds.map((h) => h.token), ...killed.map((k) => k.token)];
      expect(new Set(tokens).size).toBe(tokens.length);
    }, 60_000);
  });

  describe('multi-key lock', () => {
    const ROUNDS = 30;
    const KEYS = [['a', 'b'], ['a', 'b'], ['a', 'b'], ['b', 'a'], ['b', 'a'], ['b', 'a'], 'a', 'b'];

    it('is never seen partly held, and callers naming the keys in opposite orders all complete', async () => {
      const group = await startAll(
        KEYS.map((keys) => ({ mode: 'multikey', rounds: ROUNDS, keys })),
      );
      // An observer reading both keys at once (MGET is atomic) while the workers run, from the
      // Redis backend's own records: "<fencing token>:<owner>" under lockKeyOf(prefix + key).
      const [a, b] = ['a', 'b'].map((key) => lockKeyOf(keyPrefix + key));
      const redis = new Redis(REDIS_URL);
      const observed: [string | null, string | null][] = [];
      let running = true;
      const observing = (async () => {
        while (running) {
          const [valueA, valueB] = await redis.mget(a!, b!);
          if (valueA || valueB) observed.push([valueA ?? null, valueB ?? null]);
        }
      })();
      let exits: string[];
      try {
        exits = await exitsOf(group, 40_000);
      } finally {
        running = false;
        await observing;
        redis.disconnect();
      }
      expect(exits).toEqual(group.map(() => 'code 0'));

      const holds = holdsOf(group);
      expect(holds).toHaveLength(KEYS.length * ROUNDS);
      for (const key of ['a', 'b']) {
        expect(checkSections(sections(holds.filter((h) => h.keys!.includes(key))))).toEqual([]);
      }
      const multi = new Set(
        holds.filter((h) => h.keys!.length === 2).map((h) => h.token.toString()),
      );
      // Inside each hold: every key it holds carries its token and owner; a key it does not hold is
      // never held by a multi-key lock (which would have to hold this key too).
      const wrong = holds.flatMap((h) =>
        (['a', 'b'] as const).flatMap((key) => {
          const view = h[key];
          const ok = h.keys!.includes(key)
            ? view?.token === h.token.toString() && view.mine
            : !view || !multi.has(view.token);
          return ok
            ? []
            : [`worker ${h.worker} holding ${h.keys} saw ${key}: ${JSON.stringify(view)}`];
        }),
      );
      expect(wrong).toEqual([]);
      // What the observer saw: a multi-key lock's value on one key and not on the other. A lease
      // that processes wait on is marked on its own key ("<token>!:<owner>"): the same lease.
      const leaseOf = (value: string | null) => value?.replace(/^(\d+)!:/, '$1:') ?? null;
      const tokenOf = (value: string | null) => value?.slice(0, value.indexOf(':'));
      const leases = observed.map(([a, b]) => [leaseOf(a), leaseOf(b)] as const);
      const partial = leases.filter(
        ([a, b]) => (multi.has(tokenOf(a) ?? '') || multi.has(tokenOf(b) ?? '')) && a !== b,
      );
      const whole = leases.filter(([a, b]) => a === b && multi.has(tokenOf(a) ?? ''));
      console.info(
        `multi-key: ${observed.length} observations, ${whole.length} of a multi-key lock, ${partial.length} partial`,
      );
      expect(partial).toEqual([]);
      expect(whole.length).toBeGreaterThan(0);
    }, 60_000);
  });
});
