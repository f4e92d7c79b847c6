import { Logger } from '@nestjs/common';
import {
  EtcdLockBackend,
  type LockBackend,
  MemoryLockBackend,
  PostgresLockBackend,
  RedisLockBackend,
  ZooKeeperLockBackend,
} from 'nestjs-locker';
import type { AppConfig, LockStore } from './config/app-config.js';

/**
 * Whether the store keeps the results of shared runs, which the catalog's merged rebuild
 * (`onBusy: 'share'`) needs: ZooKeeper and etcd have no store clock to age a result by, so they do
 * not, and LockModule refuses such a method at boot there. The app then runs without the catalog.
 */
export function keepsSharedResults(store: LockStore): boolean {
  return store !== 'zookeeper' && store !== 'etcd';
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
    case 'memory':
      return new MemoryLockBackend();
    case 'zookeeper':
      return new ZooKeeperLockBackend({ connectionString: config.zookeeperConnect });
    case 'etcd':
      return new EtcdLockBackend({ endpoints: [...config.etcdEndpoints] });
  }
}
