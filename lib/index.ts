// Loaded first: an app without Nest is told at once that this entry is the Nest module (the
// Nest-free API is 'nestjs-locker/core').
import '@nestjs/common';

export * from './core/index.js';
export { LockDashboardModule } from './nest/dashboard/lock-dashboard.module.js';
export type {
  DashboardGuard,
  LockDashboardModuleAsyncOptions,
  LockDashboardModuleOptions,
  LockDashboardRuntimeOptions,
} from './nest/dashboard/lock-dashboard.options.js';
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
