// Loaded first: an app without Nest is told at once that this entry is the Nest module (the
// Nest-free API is 'nestjs-locker/core').
import '@nestjs/common';

export {
  MemoryLockBackend,
  type MemoryLockBackendOptions,
  type WallClock,
} from './backends/memory/memory.backend.js';
export type {
  PgConnectionConfig,
  PgListenClientLike,
  PgPoolLike,
  PgQueryConfig,
  PgResultLike,
} from './backends/postgres/pg-client.js';
export {
  PostgresLockBackend,
  type PostgresLockBackendOptions,
} from './backends/postgres/postgres.backend.js';
export {
  type RedisConnectionOptions,
  RedisLockBackend,
  type RedisLockBackendOptions,
} from './backends/redis/redis.backend.js';
export type { RedisClientLike, RedisSubscriberLike } from './backends/redis/redis-client.js';
export { RedlockLockBackend } from './backends/redlock/redlock.backend.js';
export type {
  RedlockLockBackendOptions,
  RedlockNode,
} from './backends/redlock/redlock-options.js';
export {
  type RedlockNodeOutcome,
  type RedlockNodeReport,
  RedlockQuorumError,
} from './backends/redlock/redlock-quorum.error.js';
export { CAPABILITIES, type Capability } from './contract/capabilities.js';
export {
  InvalidLockOptionsError,
  LockBackendError,
  LockError,
  type LockErrorCode,
  LockLostError,
  type LockLostReason,
  LockManagerClosedError,
  LockModuleNotReadyError,
  LockNotAcquiredError,
} from './contract/errors.js';
export type {
  AcquiredLease,
  AcquireResult,
  ExtendResult,
  FairAcquireOptions,
  FairLocks,
  Handoff,
  LeaseInfo,
  LeaseToExtend,
  LockBackend,
  MissedLease,
  MultiKeyLeaseToExtend,
  MultiKeyLocks,
  Semaphores,
  Unsubscribe,
} from './contract/lock-backend.js';
export type { ClockTimer, MonotonicClock } from './manager/clock.js';
export type { Duration, DurationUnit } from './manager/duration.js';
export type { LeadershipLostReason } from './manager/leader-campaign.js';
export type { Lock } from './manager/lock.js';
export { currentLock } from './manager/lock-context.js';
export type {
  LockAcquiredEvent,
  LockBusyEvent,
  LockEvent,
  LockEventListener,
  LockEvents,
  LockLostEvent,
  LockReleasedEvent,
  ReleaseFailedEvent,
  RenewalFailedEvent,
} from './manager/lock-events.js';
export { type LockInfo, type LockKeys, LockManager } from './manager/lock-manager.js';
export type {
  LockDefaults,
  LockManagerOptions,
  LockOptions,
  ResolvedLockDefaults,
} from './manager/lock-options.js';
export {
  LeaderElection,
  type LeaderElectionOptions,
  type OnLeadershipAcquired,
  type OnLeadershipLost,
} from './nest/leader-election.decorator.js';
export { LockInterceptor } from './nest/lock.interceptor.js';
export { LockModule } from './nest/lock.module.js';
export {
  LOCK_MODULE_OPTIONS,
  type LockModuleExtras,
} from './nest/lock.module-definition.js';
export { LockService } from './nest/lock.service.js';
export { LockExceptionFilter } from './nest/lock-exception.filter.js';
export {
  type LockHealthDetails,
  LockHealthIndicator,
  type LockHealthOptions,
  type LockHealthResult,
} from './nest/lock-health.indicator.js';
export {
  type LockErrorBody,
  type LockHttpAnswer,
  lockErrorResponse,
} from './nest/lock-http-answer.js';
export type { LockKeySource } from './nest/lock-key.js';
export type { LockModuleOptions } from './nest/lock-module.options.js';
export { Locked, type LockedOptions } from './nest/locked.decorator.js';
export type { OnBusy } from './nest/locked-method.js';
export { SingletonCron, type SingletonCronOptions } from './nest/singleton-cron.decorator.js';
export { instrumentLockManager } from './telemetry/instrument-lock-manager.js';
export { lockKeyPattern } from './telemetry/lock-key-pattern.js';
export type { LockTelemetry, LockTelemetryOptions } from './telemetry/lock-telemetry.options.js';
