import { Logger } from '@nestjs/common';
import {
  type LockBackend,
  MemoryLockBackend,
  PostgresLockBackend,
  RedisLockBackend,
} from 'nestjs-locker';
import type { AppConfig } from './config/app-config.js';

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
  }
}
