import { createHook } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { ACQUIRE } from '../../lib/backends/redis/scripts/acquire.lua.js';
import { RELEASE } from '../../lib/backends/redis/scripts/release.lua.js';
import { LockManager, RedisLockBackend } from '../../lib/index.js';
import { COMPARE_AND_DELETE_LUA } from '../contestants/raw-redis-lock.js';
import { commandStat } from '../redis-info.js';
import { formatMs, type Table } from '../report/table.js';
import type { BenchContext, Scenario, ScenarioReport } from '../scenario.js';
import { median } from '../stats.js';

const TTL_MS = 10_000;
const KEY = 'bench:cost-per-op';
/** Ops per layer per round (a quick run does a tenth). */
const OPS = 4_000;
const ROUNDS = 7;

/** One acquire + release, done one layer deeper or shallower than the next. */
interface Layer {
  readonly name: string;
  readonly what: string;
  /** The top-level Redis commands it sends, whose server time is its own (see `serverUsec`). */
  readonly commands: readonly string[];
  op(): Promise<void>;
}

/** What one layer cost per acquire + release, medians over rounds. */
interface LayerCost {
  readonly wallUs: number;
  readonly cpuUs: number;
  readonly serverUs: number;
  readonly promises: number;
  readonly timers: number;
}

/**
 * Where the µs of one uncontended acquire + release go, at concurrency 1 on one Redis: the same
 * operation measured layer by layer, from two PINGs (the round trips alone) through the raw
 * commands, nestjs-locker's own scripts called directly, the backend (batching, deadlines), to
 * `LockManager` (owner token, `Lock`, renewal). Each row's wall time, the CPU time of this process,
 * the server's time for its commands (`INFO commandstats`), and the promises and timers it
 * creates per op (counted by `async_hooks` in a separate, untimed pass).
 */
export const costPerOp: Scenario = {
  name: 'cost-per-op',
  async run(context: BenchContext): Promise<ScenarioReport> {
    const client = new Redis(context.redisUrl);
    const admin = new Redis(context.redisUrl);
    const backend = new RedisLockBackend({ client, onWarning: false });
    const manager = new LockManager({ backend });
    const owner = randomBytes(16).toString('hex');
    const compareAndDelete = (await client.script('LOAD', COMPARE_AND_DELETE_LUA)) as string;
    const layers: Layer[] = [
      {
        name: 'two PINGs',
        what: 'the two round trips alone',
        commands: ['ping'],
        async op() {
          await client.ping();
          await client.ping();
        },
      },
      {
        name: 'raw commands',
        what: '`SET NX PX` of a fresh random token, `EVALSHA` compare-and-delete',
        commands: ['set', 'evalsha'],
        async op() {
          const token = randomBytes(16).toString('hex');
          await client.set(KEY, token, 'PX', TTL_MS, 'NX');
          await client.evalsha(compareAndDelete, 1, KEY, token);
        },
      },
      {
        name: 'nestjs-locker scripts',
        what: 'the acquire and release scripts by `EVALSHA`, replies parsed, as the backend passes a lock nobody waits on; no backend',
        commands: ['evalsha', 'eval'],
        async op() {
          const lock = { key: KEY, owner, ttlMs: TTL_MS, unwatched: true };
          await ACQUIRE.run(client, { locks: [lock], fenceRetentionMs: TTL_MS }, 'redis');
          await RELEASE.run(client, [lock], 'redis');
        },
      },
      {
        name: 'RedisLockBackend',
        what: '`backend.acquire` + `backend.release`: same-tick batching, command deadlines',
        commands: ['evalsha', 'eval'],
        async op() {
          await backend.acquire(KEY, owner, TTL_MS);
          await backend.release(KEY, owner);
        },
      },
      {
        name: 'LockManager',
        what: '`manager.acquire(key, { ttl })` + `lock.release()`: owner token, `Lock`, renewal',
        commands: ['evalsha', 'eval'],
        async op() {
          const lock = await manager.acquire(KEY, { ttl: TTL_MS });
          await lock.release();
        },
      },
    ];
    const ops = context.quick ? OPS / 10 : OPS;
    const rounds = context.quick ? 2 : ROUNDS;
    const samples = layers.map(() => ({
      wall: [] as number[],
      cpu: [] as number[],
      server: [] as number[],
    }));
    try {
      for (const layer of layers) for (let i = 0; i < 200; i++) await layer.op();
      for (let round = 0; round < rounds; round++) {
        for (const [i, layer] of layers.entries()) {
          await admin.config('RESETSTAT');
          const cpu = process.cpuUsage();
          const startedAt = performance.now();
          for (let n = 0; n < ops; n++) await layer.op();
          const wallMs = performance.now() - startedAt;
          const used = process.cpuUsage(cpu);
          const server = await serverUsec(admin, layer.commands);
          samples[i]!.wall.push((wallMs * 1_000) / ops);
          samples[i]!.cpu.push((used.user + used.system) / ops);
          samples[i]!.server.push(server / ops);
        }
        context.log(`  cost per op: round ${round + 1}/${rounds}`);
      }
      const costs: LayerCost[] = [];
      for (const [i, layer] of layers.entries()) {
        const counted = await countAsync(layer, 500);
        costs.push({
          wallUs: median(samples[i]!.wall),
          cpuUs: median(samples[i]!.cpu),
          serverUs: median(samples[i]!.server),
          ...counted,
        });
      }
      return report(layers, costs, ops, rounds);
    } finally {
      await manager.close();
      client.disconnect();
      admin.disconnect();
    }
  },
};

/** The server's µs for `commands` since the last `CONFIG RESETSTAT` (`INFO commandstats`). */
async function serverUsec(admin: Redis, commands: readonly string[]): Promise<number> {
  const info = await admin.info('commandstats');
  let usec = 0;
  for (const command of commands) usec += commandStat(info, command, 'usec');
  return usec;
}

/** Promises and timers created per op, over `ops` ops (async_hooks on: not timed). */
async function countAsync(
  layer: Layer,
  ops: number,
): Promise<{ promises: number; timers: number }> {
  let promises = 0;
  let timers = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'PROMISE') promises++;
      else if (type === 'Timeout' || type === 'Immediate') timers++;
    },
  }).enable();
  try {
    for (let n = 0; n < ops; n++) await layer.op();
  } finally {
    hook.disable();
  }
  return { promises: promises / ops, timers: timers / ops };
}

function report(
  layers: readonly Layer[],
  costs: readonly LayerCost[],
  ops: number,
  rounds: number,
): ScenarioReport {
  const us = (value: number): string => value.toFixed(1);
  const rows = layers.map((layer, i) => {
    const cost = costs[i]!;
    const previous = i > 0 ? costs[i - 1]! : undefined;
    return [
      layer.name,
      us(cost.wallUs),
      previous
        ? `${cost.wallUs >= previous.wallUs ? '+' : ''}${us(cost.wallUs - previous.wallUs)}`
        : '',
      us(cost.cpuUs),
      previous
        ? `${cost.cpuUs >= previous.cpuUs ? '+' : ''}${us(cost.cpuUs - previous.cpuUs)}`
        : '',
      us(cost.serverUs),
      cost.promises.toFixed(1),
      cost.timers.toFixed(2),
    ];
  });
  const table: Table = {
    header: [
      'Layer',
      'wall µs / op',
      'Δ wall',
      'client CPU µs / op',
      'Δ CPU',
      'Redis µs / op',
      'promises / op',
      'timers / op',
    ],
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    rows,
  };
  const manager = costs[costs.length - 1]!;
  const raw = costs[1]!;
  return {
    name: 'cost-per-op',
    title: 'Where the time of one acquire + release goes',
    description: [
      'One acquire + release of one key at concurrency 1 on one local Redis, measured layer by',
      'layer: each row adds one layer on top of the one before. Wall: µs per op. Client CPU: this',
      'process’s user + system CPU per op (`process.cpuUsage`). Redis: the server’s own time for the',
      'row’s top-level commands per op (`INFO commandstats`, scripts with the commands they run).',
      'Promises and timers: created per op, counted by `async_hooks` in a separate untimed pass.',
      `${ops} ops per row per round, ${rounds} rounds, the rows in turn; medians over rounds.`,
    ].join('\n'),
    contestants: layers.map((layer) => ({ name: layer.name, description: layer.what })),
    sections: [
      {
        title: 'Concurrency 1, one key',
        table,
        notes: [
          `LockManager over raw commands: ${formatMs((manager.wallUs - raw.wallUs) / 1_000)} ms of wall time per op, of which ${us(manager.cpuUs - raw.cpuUs)} µs is client CPU and ${us(manager.serverUs - raw.serverUs)} µs Redis time.`,
        ],
      },
    ],
    charts: [],
  };
}
