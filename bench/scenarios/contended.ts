import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { DoneMessage, ReadyMessage, RunMessage } from '../contended/protocol.js';
import { WorkerPool } from '../contended/worker-pool.js';
import { readServerInfo } from '../redis-info.js';
import { formatMs, formatOps, formatRatio, formatVerdict, type Table } from '../report/table.js';
import { redisRoundTripMs } from '../round-trip.js';
import type { BenchContext, Scenario, ScenarioReport, TargetResult } from '../scenario.js';
import {
  median,
  minOverMax,
  percentile,
  Samples,
  type Spread,
  sortedCopy,
  spread,
} from '../stats.js';

const PROCESSES = 8;
/** The compiled worker, beside the contended pool in the benchmark's build output. */
const WORKER = new URL('../contended/worker.js', import.meta.url);
/** The work done while holding the lock, in ms (a busy loop in the worker). */
const HOLD_MS = 1;
const TTL_MS = 10_000;
/** The two modes of nestjs-locker, each with targets of its own. */
const FAIR = 'nestjs-locker (fair)';
const PLAIN = 'nestjs-locker';
/** Not a lock: the practical ceiling of any hand-off through Redis (see the description). */
const RELAY = 'pub/sub relay (no lock)';
/** Rows that are neither nestjs-locker nor a peer library. */
const NOT_PEERS = new Set([RELAY, 'raw ioredis', FAIR, PLAIN]);
/** Round trips timed to find the one-round-trip cost of the ceiling. */
const PINGS = 500;

/** The performance issue's targets, each against a row measured in the same run. */
const TARGETS = {
  /** Fair: throughput, wait p99 and wait max over the relay's, and the share. */
  fair: { relayRatio: 0.95, p99OverRelay: 1.2, maxOverRelay: 1.5, share: 0.9 },
  /** Plain: throughput and wait p99 over the best peer's (the peer with the most ops/s). */
  plain: { peerRatio: 1.0, p99OverPeer: 0.5 },
};

/** What one contestant did over all rounds. */
interface Tally {
  readonly name: string;
  readonly opsPerSec: number[];
  /** Per round: the CPU of all worker processes per lock taken, less the held work, in µs. */
  readonly clientCpuUsPerOp: number[];
  /** Per round: Redis's CPU time (`INFO cpu`, user + system) per lock taken, in µs. */
  readonly redisUsPerOp: number[];
  readonly waitsMs: Samples;
  /** Locks taken by each process over all rounds. */
  readonly perProcess: number[];
  /** Per round: the share of locks taken by another process than the one before. */
  readonly passedOn: number[];
}

/**
 * Contended hand-off: eight separate processes take turns on one key, each holding it for ~1 ms
 * of work, so the lock is never free for long and every hand-off is a waiter waking up. How close
 * the throughput comes to the ceiling, how long a waiter waits, and whether every process gets
 * its share.
 */
export const contended: Scenario = {
  name: 'contended',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const rttMs = await redisRoundTripMs(context.redisUrl, PINGS);
    const ceiling = 1_000 / (HOLD_MS + rttMs);
    context.log(
      `contended hand-off, ${PROCESSES} processes; round trip ${formatMs(rttMs)} ms, ceiling ${formatOps(ceiling)} ops/s`,
    );
    const pool = await WorkerPool.start<RunMessage, ReadyMessage, DoneMessage>(
      WORKER,
      PROCESSES,
      (index) => [context.redisUrl, String(index), String(PROCESSES)],
    );
    const contestants = pool.ready[0]!.contestants;
    const admin = new Redis(context.redisUrl);
    const tallies: Tally[] = contestants.map(({ name }) => ({
      name,
      opsPerSec: [],
      clientCpuUsPerOp: [],
      redisUsPerOp: [],
      waitsMs: new Samples(),
      perProcess: new Array<number>(PROCESSES).fill(0),
      passedOn: [],
    }));
    const { plan } = context;
    try {
      for (const { name } of contestants) {
        await pool.run({
          contestant: name,
          key: `bench:contended:warmup:${name}`,
          durationMs: plan.warmupMs,
          holdMs: HOLD_MS,
          ttlMs: TTL_MS,
        });
      }
      for (let round = 0; round < plan.rounds; round++) {
        const line: string[] = [];
        for (let k = 0; k < tallies.length; k++) {
          const tally = tallies[(round + k) % tallies.length]!;
          const serverBefore = await readServerInfo(admin);
          const startedAt = performance.now();
          const done = await pool.run({
            contestant: tally.name,
            key: `bench:contended:${round}:${tally.name}`,
            durationMs: plan.roundMs,
            holdMs: HOLD_MS,
            ttlMs: TTL_MS,
          });
          const elapsedMs = performance.now() - startedAt;
          const redisUs = ((await readServerInfo(admin)).cpuSec - serverBefore.cpuSec) * 1e6;
          let ops = 0;
          let cpuUs = 0;
          done.forEach((worker, i) => {
            ops += worker.ops;
            cpuUs += worker.cpuUs;
            tally.perProcess[i]! += worker.ops;
            for (const wait of worker.waitsMs) tally.waitsMs.add(wait);
          });
          const opsPerSec = (ops * 1_000) / elapsedMs;
          tally.opsPerSec.push(opsPerSec);
          tally.clientCpuUsPerOp.push(cpuUs / ops - HOLD_MS * 1_000);
          tally.redisUsPerOp.push(redisUs / ops);
          tally.passedOn.push(passedOnShare(done.map((worker) => worker.takenAt)));
          line.push(`${tally.name} ${Math.round(opsPerSec)}`);
        }
        context.log(`  round ${round + 1}/${plan.rounds}: ${line.join(', ')} ops/s`);
      }
    } finally {
      await pool.stop();
      admin.disconnect();
    }
    const figures = tallies.map((tally) => figuresOf(tally, ceiling));
    const references = referencesOf(figures);
    return {
      name: 'contended',
      title: 'Contended hand-off',
      description: [
        `${PROCESSES} separate Node processes loop over acquire → ${HOLD_MS} ms of busy work → release on`,
        'one shared key, each waiting the library’s own way while another holds it. Throughput is',
        'locks taken per second by all processes together; the practical ceiling is one lock per',
        `hold time plus one Redis round trip (${formatMs(rttMs)} ms, the median of ${PINGS} PINGs`,
        `before the run): ${formatOps(ceiling)} ops/s. Wait: from calling acquire to holding the`,
        'lock, over every acquire of every round. Share: the locks the least-served process took',
        'over those of the best-served one, over all rounds. Every process and Redis share the',
        'machine’s 2 cores, so a waiter that polls takes CPU from the holder. The first row is not a',
        'lock: the turn goes round the processes through Redis pub/sub with one script run per',
        'hand-off, nothing else. It is what waking another process through Redis costs on this',
        'machine, which the ceiling (a PING) leaves out: the practical ceiling of any hand-off.',
        'Targets, each against a row of the same run: nestjs-locker with `fair: true` (waiters queue',
        'in Redis and the release hands the lease to the head of the queue) ≥ 0.95× the relay’s',
        'throughput, wait p99 ≤ 1.2× and max ≤ 1.5× the relay’s, share ≥ 0.9; plain nestjs-locker',
        '(no queue, the mode most users run) ≥ 1.0× the throughput of the fastest peer library and',
        'wait p99 ≤ 0.5× that peer’s.',
      ].join('\n'),
      contestants,
      sections: [
        {
          title: `${PROCESSES} processes, one key, ${HOLD_MS} ms held`,
          table: contendedTable(figures, references),
          notes: [
            'Peers run with their default retry delays (redlock: 200 ± 100 ms; redis-semaphore: 10 ms) and unlimited retries; the raw baseline polls every 1 ms.',
            'To another process: the share of locks taken by a process other than the one that held the lock before (the processes’ take times merged in order; median over rounds). Near 1, the lock moves on at every release and each lock costs a wake-up of another process; near 0, the releasing process mostly takes it again at once, two round trips of its own, while the others sleep.',
            'Client CPU µs / lock: the CPU time of all 8 processes over a round (`process.cpuUsage`) per lock taken, less the 1 ms of held work: what waiting, waking and taking the lock cost the clients. Redis CPU µs / lock: the server’s CPU (`INFO cpu`) per lock taken. Medians over rounds. The machine has 2 cores: a hand-off cannot be faster than the CPU it needs, the held work’s included.',
          ],
        },
      ],
      charts: [
        {
          file: 'contended-wait',
          title: `Contended hand-off: wait per acquire, ${PROCESSES} processes`,
          axis: 'wait from acquire call to lock held (ms)',
          series: tallies.map((tally) => ({ name: tally.name, values: tally.waitsMs.values() })),
        },
      ],
      targets: figures.flatMap((f) => targetsOf(f, references)),
    };
  },
};

/** One contestant's figures over all rounds. */
interface ContendedFigures {
  readonly name: string;
  readonly opsPerSec: Spread;
  /** Median ops/s over the practical ceiling. */
  readonly ceilingRatio: number;
  readonly waitP50Ms: number;
  readonly waitP99Ms: number;
  readonly waitMaxMs: number;
  readonly share: number;
  readonly clientCpuUsPerOp: number;
  readonly redisUsPerOp: number;
  /** Median over rounds: the share of locks a process took after another process held it. */
  readonly passedOn: number;
}

function figuresOf(tally: Tally, ceiling: number): ContendedFigures {
  const opsPerSec = spread(tally.opsPerSec);
  const waits = sortedCopy(tally.waitsMs.values());
  return {
    name: tally.name,
    opsPerSec,
    ceilingRatio: opsPerSec.median / ceiling,
    waitP50Ms: percentile(waits, 50),
    waitP99Ms: percentile(waits, 99),
    waitMaxMs: percentile(waits, 100),
    share: minOverMax(tally.perProcess),
    clientCpuUsPerOp: median(tally.clientCpuUsPerOp),
    redisUsPerOp: median(tally.redisUsPerOp),
    passedOn: median(tally.passedOn),
  };
}

/** The rows the targets are measured against. */
interface References {
  readonly relay: ContendedFigures | undefined;
  /** The peer library with the highest median throughput. */
  readonly bestPeer: ContendedFigures | undefined;
}

function referencesOf(all: readonly ContendedFigures[]): References {
  const peers = all.filter((figures) => !NOT_PEERS.has(figures.name));
  return {
    relay: all.find((figures) => figures.name === RELAY),
    bestPeer: peers.reduce<ContendedFigures | undefined>(
      (best, figures) =>
        !best || figures.opsPerSec.median > best.opsPerSec.median ? figures : best,
      undefined,
    ),
  };
}

/** The targets of `figures` (fair or plain nestjs-locker; none for other rows). */
function targetsOf(figures: ContendedFigures, { relay, bestPeer }: References): TargetResult[] {
  const { opsPerSec, waitP99Ms, waitMaxMs, share } = figures;
  if (figures.name === FAIR && relay) {
    const goal = TARGETS.fair;
    const ratio = opsPerSec.median / relay.opsPerSec.median;
    return [
      {
        what: `${FAIR}, contended throughput (× relay)`,
        target: `≥ ${formatRatio(goal.relayRatio)}`,
        result: formatRatio(ratio),
        met: ratio >= goal.relayRatio,
      },
      {
        what: `${FAIR}, contended wait p99 (relay: ${formatMs(relay.waitP99Ms)} ms)`,
        target: `≤ ${formatMs(goal.p99OverRelay * relay.waitP99Ms)} ms`,
        result: `${formatMs(waitP99Ms)} ms`,
        met: waitP99Ms <= goal.p99OverRelay * relay.waitP99Ms,
      },
      {
        what: `${FAIR}, contended wait max (relay: ${formatMs(relay.waitMaxMs)} ms)`,
        target: `≤ ${formatMs(goal.maxOverRelay * relay.waitMaxMs)} ms`,
        result: `${formatMs(waitMaxMs)} ms`,
        met: waitMaxMs <= goal.maxOverRelay * relay.waitMaxMs,
      },
      {
        what: `${FAIR}, contended share min/max per process`,
        target: `≥ ${goal.share.toFixed(2)}`,
        result: Number.isFinite(share) ? share.toFixed(2) : '–',
        met: share >= goal.share,
      },
    ];
  }
  if (figures.name === PLAIN && bestPeer) {
    const goal = TARGETS.plain;
    const ratio = opsPerSec.median / bestPeer.opsPerSec.median;
    return [
      {
        what: `${PLAIN}, contended throughput (× best peer, ${bestPeer.name})`,
        target: `≥ ${formatRatio(goal.peerRatio)}`,
        result: formatRatio(ratio),
        met: ratio >= goal.peerRatio,
      },
      {
        what: `${PLAIN}, contended wait p99 (${bestPeer.name}: ${formatMs(bestPeer.waitP99Ms)} ms)`,
        target: `≤ ${formatMs(goal.p99OverPeer * bestPeer.waitP99Ms)} ms`,
        result: `${formatMs(waitP99Ms)} ms`,
        met: waitP99Ms <= goal.p99OverPeer * bestPeer.waitP99Ms,
      },
    ];
  }
  return [];
}

function contendedTable(all: readonly ContendedFigures[], references: References): Table {
  const header = [
    'Contestant',
    'ops/s (median)',
    'ops/s (min–max)',
    '× relay',
    '× ceiling',
    'wait p50 ms',
    'wait p99 ms',
    'wait max ms',
    'share min/max',
    'to another process',
    'client CPU µs / lock',
    'Redis CPU µs / lock',
    'targets',
  ];
  const rows = all.map((figures) => {
    const targets = targetsOf(figures, references);
    const missed = targets
      .filter((target) => !target.met)
      .map((target) => target.what.replace(/^.*, contended /, '').replace(/ \(.*\)$/, ''));
    const verdict =
      targets.length === 0
        ? ''
        : missed.length === 0
          ? formatVerdict(true)
          : `${formatVerdict(false)}: ${missed.join(', ')}`;
    return [
      figures.name,
      formatOps(figures.opsPerSec.median),
      `${formatOps(figures.opsPerSec.min)}–${formatOps(figures.opsPerSec.max)}`,
      references.relay
        ? formatRatio(figures.opsPerSec.median / references.relay.opsPerSec.median)
        : '–',
      formatRatio(figures.ceilingRatio),
      formatMs(figures.waitP50Ms),
      formatMs(figures.waitP99Ms),
      formatMs(figures.waitMaxMs),
      Number.isFinite(figures.share) ? figures.share.toFixed(2) : '–',
      Number.isFinite(figures.passedOn) ? figures.passedOn.toFixed(2) : '–',
      figures.clientCpuUsPerOp.toFixed(0),
      figures.redisUsPerOp.toFixed(1),
      verdict,
    ];
  });
  return {
    header,
    align: ['left', ...Array<'right'>(11).fill('right'), 'left'],
    rows,
  };
}

/**
 * Of the locks taken in one round by all processes (`takenAt[i]`: process i's times), the share
 * that went to another process than the one that took the lock before: 1 when the lock always
 * moves on, near 0 when the process that released it mostly takes it again.
 */
export function passedOnShare(takenAt: readonly (readonly number[])[]): number {
  const takes: { at: number; by: number }[] = [];
  takenAt.forEach((times, by) => {
    for (const at of times) takes.push({ at, by });
  });
  if (takes.length < 2) return Number.NaN;
  takes.sort((a, b) => a.at - b.at);
  let moved = 0;
  for (let i = 1; i < takes.length; i++) if (takes[i]!.by !== takes[i - 1]!.by) moved++;
  return moved / (takes.length - 1);
}
