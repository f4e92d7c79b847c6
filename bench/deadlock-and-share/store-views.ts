import { Redis } from 'ioredis';
import pg from 'pg';
import {
  type LockBackend,
  LockManager,
  type LockManagerOptions,
  MemoryLockBackend,
  PostgresLockBackend,
  RedisLockBackend,
} from '../../lib/index.js';
import { interceptBackend } from '../../lib/testing/index.js';
import { countCommands } from '../redis-command-count.js';

/** A store the scenario runs on. */
export type StoreName = 'memory' | 'redis' | 'postgres';

/** One instance's view of a store: a manager on a backend with its own connections. */
export interface InstanceView {
  readonly manager: LockManager;
  /**
   * Round trips this instance sent so far: Redis commands on its client, Postgres statements on
   * its pool's connections (the LISTEN connection of wake-ups not counted), backend calls for
   * memory (no network: each is a call, not a round trip).
   */
  roundTrips(): number;
  close(): Promise<void>;
}

/** Opens instances on one store, as separate app instances would. */
export interface StoreViews {
  readonly store: StoreName;
  readonly title: string;
  open(options: Omit<LockManagerOptions, 'backend'>): Promise<InstanceView>;
  close(): Promise<void>;
}

/** `memory`: one store shared by every manager of this process. */
export function memoryViews(): StoreViews {
  const shared = new MemoryLockBackend();
  return {
    store: 'memory',
    title: 'Memory',
    async open(options) {
      let calls = 0;
      const backend = interceptBackend(shared, (call, proceed) => {
        if (call.method === 'close') return Promise.resolve();
        calls++;
        return proceed();
      });
      const manager = new LockManager({ ...options, backend });
      return { manager, roundTrips: () => calls, close: () => manager.close() };
    },
    close: () => shared.close(),
  };
}

/** `redis`: each instance its own ioredis client, whose commands are counted. */
export function redisViews(url: string): StoreViews {
  return {
    store: 'redis',
    title: 'Redis',
    async open(options) {
      const client = new Redis(url);
      const count = countCommands(client);
      const manager = new LockManager({ ...options, backend: new RedisLockBackend({ client }) });
      return {
        manager,
        roundTrips: () => count.sent,
        async close() {
          await manager.close();
          await client.quit();
        },
      };
    },
    close: async () => undefined,
  };
}

/** `postgres`: each instance its own pool, whose statements are counted. */
export function postgresViews(url: string): StoreViews {
  return {
    store: 'postgres',
    title: 'Postgres',
    async open(options) {
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      let statements = 0;
      pool.on('connect', (client) => {
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args) => {
          statements++;
          return query(...args);
        };
      });
      const backend: LockBackend = new PostgresLockBackend({ pool });
      const manager = new LockManager({ ...options, backend });
      return {
        manager,
        roundTrips: () => statements,
        async close() {
          await manager.close();
          await pool.end();
        },
      };
    },
    close: async () => undefined,
  };
}
