export type {
  AcquiredLease,
  AcquireResult,
  ExtendResult,
  LeaseInfo,
  LeaseToExtend,
  LockBackend,
  MissedLease,
  Unsubscribe,
} from './backends/lock-backend.js';
export {
  MemoryLockBackend,
  type MemoryLockBackendOptions,
  type WallClock,
} from './backends/memory/memory.backend.js';
export {
  type RedisConnectionOptions,
  RedisLockBackend,
  type RedisLockBackendOptions,
} from './backends/redis/redis.backend.js';
export type { RedisClientLike, RedisSubscriberLike } from './backends/redis/redis-client.js';
export type { MonotonicClock } from './core/clock.js';
export {
  InvalidLockOptionsError,
  LockBackendError,
  LockError,
  type LockErrorCode,
  LockLostError,
  type LockLostReason,
  LockManagerClosedError,
  LockNotAcquiredError,
} from './core/errors.js';
export type { Lock } from './core/lock.js';
export { currentLock } from './core/lock-context.js';
export type {
  LockEvent,
  LockEventListener,
  LockEvents,
  LockLostEvent,
  ReleaseFailedEvent,
  RenewalFailedEvent,
} from './core/lock-events.js';
export { type LockInfo, LockManager } from './core/lock-manager.js';
export type { LockDefaults, LockManagerOptions, LockOptions } from './core/lock-options.js';
