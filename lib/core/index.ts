/**
 * `nestjs-locker/core`: the locks without Nest. `LockManager`, the backends, the errors and the
 * types, for a plain Node program, a worker or a script; nothing here imports an `@nestjs/*`
 * package, so none needs to be installed.
 *
 * Every name here is exported by the root entry `nestjs-locker` too, as the same class (the root
 * entry re-exports this file). A new backend is registered here, with one export line.
 *
 * @example
 * ```ts
 * import { LockManager, MemoryLockBackend } from 'nestjs-locker/core';
 *
 * const locks = new LockManager({ backend: new MemoryLockBackend() });
 * await locks.using('report', async () => {
 *   // one process at a time
 * });
 * await locks.close();
 * ```
 *
 * @packageDocumentation
 */

export {
  type EtcdClientLike,
  EtcdLockBackend,
  type EtcdLockBackendOptions,
  type EtcdTlsCredentials,
} from '../backends/etcd/etcd.backend.js';
export {
  MemoryLockBackend,
  type MemoryLockBackendOptions,
  type WallClock,
} from '../backends/memory/memory.backend.js';
export type {
  PgConnectionConfig,
  PgListenClientLike,
  PgPoolLike,
  PgQueryConfig,
  PgResultLike,
} from '../backends/postgres/pg-client.js';
export {
  PostgresLockBackend,
  type PostgresLockBackendOptions,
} from '../backends/postgres/postgres.backend.js';
export { PostgresAdvisoryLockBackend } from '../backends/postgres/postgres-advisory.backend.js';
export {
  type RedisConnectionOptions,
  RedisLockBackend,
  type RedisLockBackendOptions,
} from '../backends/redis/redis.backend.js';
export type { RedisClientLike, RedisSubscriberLike } from '../backends/redis/redis-client.js';
export { RedlockLockBackend } from '../backends/redlock/redlock.backend.js';
export type {
  RedlockLockBackendOptions,
  RedlockNode,
} from '../backends/redlock/redlock-options.js';
export {
  type RedlockNodeOutcome,
  type RedlockNodeReport,
  RedlockQuorumError,
} from '../backends/redlock/redlock-quorum.error.js';
export {
  type ZkClientLike,
  ZooKeeperLockBackend,
  type ZooKeeperLockBackendOptions,
} from '../backends/zookeeper/zookeeper.backend.js';
export { CAPABILITIES, type Capability } from '../contract/capabilities.js';
export {
  InvalidLockOptionsError,
  LockBackendError,
  LockDeadlockError,
  LockError,
  type LockErrorCode,
  LockLostError,
  type LockLostReason,
  LockManagerClosedError,
  LockModuleNotReadyError,
  LockNotAcquiredError,
  LockUpgradeError,
  ResultNotShareableError,
  SharedRunFailedError,
} from '../contract/errors.js';
export type {
  AcquiredLease,
  AcquireResult,
  ExtendResult,
  FairAcquireOptions,
  FairLocks,
  Handoff,
  InstanceListing,
  InstanceRecord,
  LeaseInfo,
  LeaseListing,
  LeaseToExtend,
  ListedLease,
  LockBackend,
  LockDirectory,
  LockMode,
  LostLease,
  MissedLease,
  MultiKeyLeaseToExtend,
  MultiKeyLocks,
  ReadWriteAcquireOptions,
  ReadWriteLocks,
  Semaphores,
  SharedOutcome,
  SharedResults,
  Unsubscribe,
  WaitCycleMember,
  WaitGraph,
  WaitRecord,
} from '../contract/lock-backend.js';
export { MAX_INSTANCE_PAYLOAD_BYTES } from '../contract/lock-directory.js';
export type {
  DashboardCronJob,
  DashboardCronTick,
  DashboardEvent,
  DashboardHolder,
  DashboardInstance,
  DashboardLeader,
  DashboardLock,
  DashboardSnapshot,
  DashboardWaiter,
  ForceReleaseOutcome,
} from '../dashboard/dashboard-snapshot.js';
export { LockDashboard, type LockDashboardOptions } from '../dashboard/lock-dashboard.js';
export type { ClockTimer, MonotonicClock } from '../manager/clock.js';
export type { Duration, DurationUnit } from '../manager/duration.js';
export type { InstanceRecordPayload } from '../manager/instance-record.js';
export type { LeadershipLostReason } from '../manager/leader-campaign.js';
export type { Lock } from '../manager/lock.js';
export type { ActivityEvent, CronTickReport, LockActivity } from '../manager/lock-activity.js';
export { currentLock } from '../manager/lock-context.js';
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
} from '../manager/lock-events.js';
export { type LockInfo, type LockKeys, LockManager } from '../manager/lock-manager.js';
export type {
  LockDefaults,
  LockManagerOptions,
  LockOptions,
  PresenceOptions,
  ResolvedLockDefaults,
} from '../manager/lock-options.js';
export type { WaitingAcquire } from '../manager/waiting-acquires.js';
export { instrumentLockManager } from '../telemetry/instrument-lock-manager.js';
export { lockKeyPattern } from '../telemetry/lock-key-pattern.js';
export type { LockTelemetry, LockTelemetryOptions } from '../telemetry/lock-telemetry.options.js';
