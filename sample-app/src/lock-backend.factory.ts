import { Logger } from '@nestjs/common';
import {
  EtcdLockBackend,
  type LockBackend,
  MemoryLockBackend,
  PostgresAdvisoryLockBackend,
  PostgresLockBackend,
  RedisLockBackend,
  ZooKeeperLockBackend,
} from 'nestjs-locker';
import type { AppConfig, LockStore } from './config/app-config.js';

/**
 * Whether the store keeps the results of shared runs, which the catalog's merged rebuild
 * (`onBusy: 'share'`) needs: ZooKeeper and etcd have no store clock to age a result by, and the
 * Postgres advisory mode offers plain locks only, so they do not, and LockModule refuses such a
 * method at boot there. The app then runs without the catalog.
 */
export function keepsSharedResults(store: LockStore): boolean {
  return store === 'redis' || store === 'postgres' || store === 'memory';
}

/** The lock store `LOCK_STORE` names. */
export function lockBackendFor(config: AppConfig): LockBackend {
  const logger = new Logger('LockModule');
  switch (config.lockStore) {
    case 'redis':
      return new RedisLockBackend({
        url: config.redisUrl,
        onWarning: (message) => logger.warn(message),
      });
    case 'postgres':
      return new PostgresLockBackend({ connectionString: config.databaseUrl });
    case 'postgres-advisory':
      // Every lock of this instance on one session of its own: no disk flush per lock, and a
      // killed instance's locks are free at once (docs/backends.md, "Postgres advisory mode").
      return new PostgresAdvisoryLockBackend({ connectionString: config.databaseUrl });
    case 'memory':
      return new MemoryLockBackend();
    case 'zookeeper':
      return new ZooKeeperLockBackend({ connectionString: config.zookeeperConnect });
    case 'etcd':
      return new EtcdLockBackend({ endpoints: [...config.etcdEndpoints] });
  }
}
