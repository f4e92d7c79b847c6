import type { InvalidLockOptionsError } from '../contract/errors.js';
import type { LockMode } from '../contract/read-write-locks.js';
import type { LockOptions } from '../manager/lock-options.js';
import type { CronSchedule } from './cron-schedule.js';
import type { KeyResolver } from './lock-key.js';

/**
 * What to do when a `@Locked()` method's lock is busy: after `wait`, `'throw'` or `'skip'`;
 * or `'share'` the run in progress (wait for it and return its result).
 */
export type OnBusy = 'throw' | 'skip' | 'share';

/** A method decorated with `@Locked()`, as the interceptor runs it. */
export interface LockedMethod {
  readonly kind: 'locked';
  /** `ClassName.methodName`, for errors and logs. */
  readonly where: string;
  readonly key: KeyResolver;
  readonly ttl: number | undefined;
  readonly wait: number | undefined;
  readonly onBusy: OnBusy;
  readonly fair: boolean | undefined;
  readonly permits: number | undefined;
  readonly mode: LockMode | undefined;
  /** With `onBusy: 'share'`: reuse a result this long after its run, in ms (0: never). */
  readonly shareFor: number;
  /** `ttl`, `wait`, `fair`, `permits` and `mode` as the manager takes them, built once. */
  readonly lockOptions: LockOptions;
  /** A bad static option found at decoration time; thrown at bootstrap. */
  readonly problem: InvalidLockOptionsError | undefined;
}

/** A method decorated with `@SingletonCron()`. */
export interface SingletonCronJob {
  readonly kind: 'cron';
  readonly where: string;
  /** The job's name: the `name` option, or `ClassName.methodName`. */
  readonly name: string;
  readonly schedule: CronSchedule | undefined;
  readonly ttl: number | undefined;
  readonly lockAtLeastFor: number;
  readonly problem: InvalidLockOptionsError | undefined;
}

/** Reflect-metadata key on the wrapped method: the {@link LockedMethod} or {@link SingletonCronJob}. */
export const LOCKED_METHOD_METADATA = Symbol.for('nestjs-locker:locked-method');
