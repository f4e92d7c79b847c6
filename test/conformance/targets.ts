import { Cluster } from 'ioredis';
import {
  EtcdLockBackend,
  type LockBackend,
  MemoryLockBackend,
  PostgresAdvisoryLockBackend,
  PostgresLockBackend,
  RedisLockBackend,
  RedlockLockBackend,
  ZooKeeperLockBackend,
} from '../../lib/index.js';
import { interceptBackend } from '../../lib/testing/index.js';
import {
  CLUSTER_PORT,
  ETCD_URL,
  PG_URL,
  REDIS_URL,
  REDLOCK_URLS,
  ZK_CONNECT,
} from '../support/servers.js';
import type { ConformanceStore, ConformanceTarget } from './conformance-target.js';

/** Opens a fresh backend per call and closes them all at the end. */
function openEach(open: () => LockBackend): ConformanceStore {
  const opened: LockBackend[] = [];
  return {
    open: () => {
      const backend = open();
      opened.push(backend);
      return backend;
    },
    close: async () => {
      await Promise.all(opened.map((backend) => backend.close()));
    },
  };
}

const memory: ConformanceTarget = {
  name: 'memory',
  createStore: () => {
    const shared = new MemoryLockBackend();
    // One process, one store: every "connection" is a view of the same backend, which stays open
    // until the store closes.
    const view = interceptBackend(shared, (call, proceed) =>
      call.method === 'close' ? Promise.resolve() : proceed(),
    );
    return { open: () => view, close: () => shared.close() };
  },
};

const redis: ConformanceTarget = {
  name: 'redis',
  createStore: () => openEach(() => new RedisLockBackend({ url: REDIS_URL })),
};

const redisCluster: ConformanceTarget = {
  name: 'redis cluster',
  createStore: () => {
    const clients: Cluster[] = [];
    const store = openEach(() => {
      const client = new Cluster([{ host: '127.0.0.1', port: CLUSTER_PORT }]);
      clients.push(client);
      return new RedisLockBackend({ client, onWarning: false });
    });
    return {
      open: store.open,
      close: async () => {
        await store.close();
        await Promise.all(clients.map((client) => client.quit()));
      },
    };
  },
};

const postgres: ConformanceTarget = {
  name: 'postgres',
  createStore: () => openEach(() => new PostgresLockBackend({ connectionString: PG_URL })),
};

const postgresAdvisory: ConformanceTarget = {
  name: 'postgres advisory',
  createStore: () => openEach(() => new PostgresAdvisoryLockBackend({ connectionString: PG_URL })),
};

const redlock: ConformanceTarget = {
  name: 'redlock ×5',
  createStore: () => openEach(() => new RedlockLockBackend({ nodes: REDLOCK_URLS })),
};

const etcd: ConformanceTarget = {
  name: 'etcd',
  createStore: () => openEach(() => new EtcdLockBackend({ endpoints: ETCD_URL })),
};

const zookeeper: ConformanceTarget = {
  name: 'zookeeper',
  // Each backend is its own ZooKeeper session, as another process would be; 60 s (the test
  // servers' longest) so that the suite's longest ttl is within it.
  createStore: () =>
    openEach(
      () => new ZooKeeperLockBackend({ connectionString: ZK_CONNECT, sessionTimeoutMs: 60_000 }),
    ),
};

/** Every backend that must pass the conformance suite: a new backend is one more line here. */
export const conformanceTargets: readonly ConformanceTarget[] = [
  memory,
  redis,
  redisCluster,
  redlock,
  postgres,
  postgresAdvisory,
  etcd,
  zookeeper,
];
