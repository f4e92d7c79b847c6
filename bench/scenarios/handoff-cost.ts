import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { LockManager, RedisLockBackend } from '../../lib/index.js';
import type { HeldLock } from '../contestants/lock-adapter.js';
import { redisRelay } from '../contestants/redis-relay.js';
import { type CommandCount, countCommands } from '../redis-command-count.js';
import { commandStat } from '../redis-info.js';
import type { Table } from '../report/table.js';
import type { BenchContext, Scenario, ScenarioReport } from '../scenario.js';
import { median } from '../stats.js';

/** Loops that pass the key between them, in this one process. */
const LOOPS = 2;
const TTL_MS = 30_000;
const WAIT_MS = 60_000;
const ROUND_MS = 1_000;
const ROUNDS = 7;

/** One way of passing a key between the loops of this process. */
interface Contestant {
  readonly name: string;
  readonly what: string;
  /** One take of `key` per loop, to be released by the loop. */
  readonly loops: readonly ((key: string) => Promise<HeldLock>)[];
  /** The commands its clients sent (subscriber connections are not counted: they only listen). */
  readonly sent: readonly CommandCount[];
  close(): Promise<void>;
}

/** What one hand-off cost a contestant, medians over rounds. */
interface HandoffCost {
  readonly perSec: number;
  readonly cpuUs: number;
  readonly commands: number;
  readonly serverUs: number;
  readonly publishes: number;
}

/**
 * Where the cost of one contended hand-off goes, without the 8 processes of the contended
 * scenario and their scheduling: two loops in this one process pass one key back and forth
 * (take, release at once, take again), each through a client of its own, as two processes would.
 * Per hand-off: this process's CPU (both ends of it), the commands the clients sent (each one a
 * write to the socket and a script run), the PUBLISHes Redis made, and the server's time in
 * scripts. The pub/sub relay is the floor: one command and one message per hand-off.
 */
export const handoffCost: Scenario = {
  name: 'handoff-cost',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const admin = new Redis(context.redisUrl);
    const contestants = [
      await relayContestant(context.redisUrl),
      lockerContestant(context.redisUrl, 'nestjs-locker', false),
      lockerContestant(context.redisUrl, 'nestjs-locker (fair)', true),
    ];
    const rounds = context.quick ? 2 : ROUNDS;
    const roundMs = context.quick ? 200 : ROUND_MS;
    const samples = contestants.map(() => [] as HandoffCost[]);
    try {
      for (const [i, contestant] of contestants.entries()) {
        await runRound(contestant, `bench:handoff:warmup:${i}`, roundMs);
      }
      for (let round = 0; round < rounds; round++) {
        for (const [i, contestant] of contestants.entries()) {
          await admin.config('RESETSTAT');
          for (const count of contestant.sent) count.reset();
          const cpu = process.cpuUsage();
          const startedAt = performance.now();
          const handoffs = await runRound(contestant, `bench:handoff:${round}:${i}`, roundMs);
          const elapsedMs = performance.now() - startedAt;
          const used = process.cpuUsage(cpu);
          const stats = await admin.info('commandstats');
          let commands = 0;
          for (const count of contestant.sent) commands += count.sent;
          samples[i]!.push({
            perSec: (handoffs * 1_000) / elapsedMs,
            cpuUs: (used.user + used.system) / handoffs,
            commands: commands / handoffs,
            serverUs:
              (commandStat(stats, 'evalsha', 'usec') + commandStat(stats, 'eval', 'usec')) /
              handoffs,
            publishes: commandStat(stats, 'publish', 'calls') / handoffs,
          });
        }
        context.log(`  hand-off cost: round ${round + 1}/${rounds}`);
      }
    } finally {
      await Promise.all(contestants.map((contestant) => contestant.close()));
      admin.disconnect();
    }
    const costs = samples.map((rows) => ({
      perSec: median(rows.map((row) => row.perSec)),
      cpuUs: median(rows.map((row) => row.cpuUs)),
      commands: median(rows.map((row) => row.commands)),
      serverUs: median(rows.map((row) => row.serverUs)),
      publishes: median(rows.map((row) => row.publishes)),
    }));
    return report(contestants, costs, rounds, roundMs);
  },
};

/** Runs every loop of `contestant` on `key` for `ms`; resolves with the takes of all loops. */
async function runRound(contestant: Contestant, key: string, ms: number): Promise<number> {
  const until = performance.now() + ms;
  let takes = 0;
  await Promise.all(
    contestant.loops.map(async (take) => {
      while (performance.now() < until) {
        const held = await take(key);
        takes++;
        await held.release();
      }
    }),
  );
  return takes;
}

async function relayContestant(url: string): Promise<Contestant> {
  const publishers = Array.from({ length: LOOPS }, () => new Redis(url));
  const relays = publishers.map((publisher, i) => redisRelay(publisher, new Redis(url), i, LOOPS));
  await Promise.all(relays.map((relay) => relay.ready));
  return {
    name: 'pub/sub relay (no lock)',
    what: 'the contended scenario’s relay with 2 ends: each release one `EVALSHA` that `PUBLISH`es the turn to the other end',
    loops: relays.map((relay) => (key: string) => relay.acquire(key, TTL_MS)),
    sent: publishers.map(countCommands),
    async close() {
      await Promise.all(relays.map((relay) => relay.close()));
      for (const publisher of publishers) publisher.disconnect();
    },
  };
}

function lockerContestant(url: string, name: string, fair: boolean): Contestant {
  const clients = Array.from({ length: LOOPS }, () => new Redis(url));
  const sent = clients.map(countCommands);
  const managers = clients.map(
    (client) => new LockManager({ backend: new RedisLockBackend({ client, onWarning: false }) }),
  );
  return {
    name,
    what: fair
      ? '`acquire(key, { ttl, wait, fair: true })`, `release()`: a release hands the lease to the head of the queue'
      : '`acquire(key, { ttl, wait })`, `release()`: a release wakes one registered waiter, which tries again',
    loops: managers.map((manager) => async (key: string) => {
      const lock = await manager.acquire(key, { ttl: TTL_MS, wait: WAIT_MS, fair });
      return { release: () => lock.release().then(() => undefined) };
    }),
    sent,
    async close() {
      await Promise.all(managers.map((manager) => manager.close()));
      for (const client of clients) client.disconnect();
    },
  };
}

function report(
  contestants: readonly Contestant[],
  costs: readonly HandoffCost[],
  rounds: number,
  roundMs: number,
): ScenarioReport {
  const relay = costs[0]!;
  const rows = contestants.map((contestant, i) => {
    const cost = costs[i]!;
    return [
      contestant.name,
      Math.round(cost.perSec).toLocaleString('en-US'),
      cost.cpuUs.toFixed(1),
      i === 0 ? '' : `+${(cost.cpuUs - relay.cpuUs).toFixed(1)}`,
      cost.commands.toFixed(2),
      cost.publishes.toFixed(2),
      cost.serverUs.toFixed(1),
    ];
  });
  const table: Table = {
    header: [
      'Contestant',
      'hand-offs/s',
      'client CPU µs / hand-off',
      'Δ CPU over relay',
      'commands sent / hand-off',
      'PUBLISH / hand-off',
      'Redis script µs / hand-off',
    ],
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
    rows,
  };
  return {
    name: 'handoff-cost',
    title: 'Where the cost of one contended hand-off goes',
    description: [
      `${LOOPS} loops in one process pass one key back and forth on one local Redis: take, release at`,
      'once, take again, each loop through a client of its own as separate processes would. No',
      'held work and no other processes: what is left is the hand-off itself. Client CPU: this',
      'process’s CPU per hand-off (`process.cpuUsage`), both ends of it. Commands sent: by the',
      'contestant’s clients per hand-off (subscriber connections only listen); each is a socket',
      'write and a script run. PUBLISH and script time: the server’s (`INFO commandstats`).',
      `${rounds} rounds of ${roundMs} ms per contestant, in turn; medians over rounds.`,
    ].join('\n'),
    contestants: contestants.map(({ name, what }) => ({ name, description: what })),
    sections: [{ title: `${LOOPS} loops, one key, one process`, table }],
    charts: [],
  };
}
