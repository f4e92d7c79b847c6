import { sleep } from '../support/async.js';
import type { TestPostgresServer } from '../support/postgres-server.js';
import type { TestRedisServer } from '../support/redis-server.js';
import type { ChaosScenario, RunStore } from './chaos-runner.js';
import { killHolder, now, pauseHolder, repeat } from './faults.js';
import type { TcpProxy } from './tcp-proxy.js';

/** How hard a run pushes: `short` in `npm test`, `full` in `npm run chaos`. */
export interface ChaosProfile {
  readonly name: 'short' | 'full';
  readonly workers: number;
  readonly keys: number;
  readonly durationMs: number;
  /** Trials of every scenario. */
  readonly trials: number;
  /** How many times a scenario repeats its fault within one trial. */
  readonly faultsPerTrial: number;
}

export const PROFILES: Record<ChaosProfile['name'], ChaosProfile> = {
  short: { name: 'short', workers: 4, keys: 2, durationMs: 7_000, trials: 1, faultsPerTrial: 1 },
  full: { name: 'full', workers: 8, keys: 3, durationMs: 14_000, trials: 3, faultsPerTrial: 2 },
};

/** The servers and proxies the scenarios break. */
export interface ChaosServers {
  readonly redis: TestRedisServer;
  /** Five independent masters for the Redlock quorum. */
  readonly quorum: readonly TestRedisServer[];
  readonly postgres: TestPostgresServer;
  /** Between some workers and `redis`. */
  readonly proxy: TcpProxy;
  readonly proxyPort: number;
}

const TTL_MS = 2_000;
/** Postgres restarts take seconds here: a longer lease, so a restart is shorter than one. */
const PG_TTL_MS = 5_000;

/** Every fault scenario, for one profile and the servers they break. */
export function chaosScenarios(profile: ChaosProfile, servers: ChaosServers): ChaosScenario[] {
  const redis: RunStore = { kind: 'redis', url: servers.redis.url };
  // The proxy's port is known once it listens, after the scenarios are declared.
  const viaProxy = (): RunStore => ({
    kind: 'redis',
    url: `redis://127.0.0.1:${servers.proxyPort}`,
  });
  const postgres: RunStore = { kind: 'postgres', url: servers.postgres.url };
  const quorum: RunStore = { kind: 'redlock', urls: servers.quorum.map((node) => node.url) };
  const base = {
    workers: profile.workers,
    keys: profile.keys,
    ttlMs: TTL_MS,
    durationMs: profile.durationMs,
    storeFor: () => redis,
    checkStore: redis,
  };
  const times = profile.faultsPerTrial;
  return [
    {
      ...base,
      name: 'holder kill -9',
      description: 'The worker holding a key is killed with SIGKILL in the middle of its section.',
      inject: (context) =>
        repeat(Math.min(times, profile.workers - 2), profile.durationMs, (round) =>
          killHolder(context, context.keys[round % context.keys.length]!),
        ),
    },
    {
      ...base,
      name: 'holder paused past its ttl',
      description:
        'The holder stops itself (SIGSTOP) between its "lease is valid" check and a write, for 2 × ttl, then resumes (SIGCONT) and writes with its old token.',
      inject: (context) =>
        repeat(times, profile.durationMs, (round) =>
          pauseHolder(context, context.keys[round % context.keys.length]!, 2 * TTL_MS),
        ),
    },
    {
      ...base,
      name: 'redis-server kill -9 and restart',
      description:
        'redis-server (no persistence) is killed with SIGKILL and restarted on its port: every lock key is gone while its holders still run.',
      storeLosesData: true,
      inject: (context) =>
        repeat(times, profile.durationMs, async () => {
          await servers.redis.crashAndRestart();
          context.log('redis-server restarted without its data');
          return { at: now() };
        }),
    },
    {
      ...base,
      name: 'network stall',
      description:
        'Half the workers reach Redis through a TCP proxy that holds every byte for 1.5 × ttl (connections stay open), then delivers them late.',
      storeFor: (index) => (index % 2 === 0 ? viaProxy() : redis),
      inject: (context) =>
        repeat(times, profile.durationMs, async () => {
          servers.proxy.stall();
          context.log('proxy stalled');
          await sleep(1.5 * TTL_MS);
          servers.proxy.heal();
          return { at: now() };
        }),
    },
    {
      ...base,
      name: 'slow network and cut connections',
      description:
        'Half the workers reach Redis through a proxy that first delays every chunk by 150 ms for a ttl, then resets every connection.',
      storeFor: (index) => (index % 2 === 0 ? viaProxy() : redis),
      inject: (context) =>
        repeat(times, profile.durationMs, async () => {
          servers.proxy.slow(150);
          await sleep(TTL_MS);
          servers.proxy.heal();
          servers.proxy.cut();
          context.log('proxy slowed, then cut every connection');
          return { at: now() };
        }),
    },
    {
      ...base,
      name: 'postgres crash and restart',
      description:
        'PostgreSQL (fsync on) is killed with SIGKILL and restarted: leases are durable, so holders keep them and renewal resumes.',
      ttlMs: PG_TTL_MS,
      storeFor: () => postgres,
      checkStore: postgres,
      inject: (context) =>
        repeat(times, profile.durationMs, async () => {
          await servers.postgres.crashAndRestart();
          context.log('postgres restarted');
          return { at: now() };
        }),
    },
    {
      ...base,
      name: 'postgres sessions terminated',
      description:
        'Every client session of the lock workers is ended with pg_terminate_backend (pooled and LISTEN connections alike).',
      storeFor: () => postgres,
      checkStore: postgres,
      inject: (context) =>
        repeat(times, profile.durationMs, async () => {
          const ended = await servers.postgres.query<{ pid: number }>(
            // Materialized first: the terminating call must never reach this very session.
            `WITH victims AS MATERIALIZED (
               SELECT pid FROM pg_stat_activity
                WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
             )
             SELECT pid FROM victims WHERE pg_terminate_backend(pid)`,
          );
          if (ended.length === 0) throw new Error('no postgres session of the workers was found');
          context.log(`terminated ${ended.length} postgres sessions`);
          return { at: now() };
        }),
    },
    {
      ...base,
      name: 'quorum: 1 of 5 nodes killed and restarted',
      description:
        'Locks on a Redlock quorum of five redis-servers; one node (a different one each time) is killed with SIGKILL, stays down for 1.5 × ttl, and comes back empty. Four of five still form a majority, so locking goes on throughout.',
      storeFor: () => quorum,
      checkStore: quorum,
      inject: (context) =>
        repeat(times, profile.durationMs, async (round) => {
          const node = servers.quorum[round % servers.quorum.length]!;
          await node.kill();
          context.log(`quorum node ${node.port} killed`);
          const downAt = now();
          await sleep(1.5 * TTL_MS);
          node.start();
          // The fault is a minority: progress is expected from the moment it began.
          return { at: downAt };
        }),
    },
    {
      ...base,
      name: 'client clocks off by ±2 s',
      description:
        'Workers run under faketime with wall clocks 2 s ahead and 2 s behind (the monotonic clock is real): expiry is decided by the store clock, so nothing changes.',
      clockOffset: (index) => ['+2s', '-2s', undefined][index % 3],
      inject: async () => [],
    },
  ];
}
