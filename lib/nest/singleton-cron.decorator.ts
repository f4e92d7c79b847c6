import 'reflect-metadata';
import { InvalidLockOptionsError } from '../contract/errors.js';
import type { Duration } from '../manager/duration.js';
import { validateDelay, validateTtl } from '../manager/validate-options.js';
import { CronSchedule } from './cron-schedule.js';
import { lockRuntime } from './lock-runtime.js';
import { LOCKED_METHOD_METADATA, type SingletonCronJob } from './locked-method.js';
import { wrapMethod } from './method-wrapper.js';
import { defineCronMetadata } from './schedule-metadata.js';

/** The options of `@Cron()` from `@nestjs/schedule`, plus the lock's. */
export interface SingletonCronOptions {
  /** The job's name, unique in the app. Default `ClassName.methodName`. Also its SchedulerRegistry name. */
  name?: string;
  /** IANA time zone of the expression, such as `'Europe/Paris'`. Not with `utcOffset`. */
  timeZone?: string;
  /** Offset of the expression's time from UTC, in minutes. Not with `timeZone`. */
  utcOffset?: number;
  /** Registered but not started. */
  disabled?: boolean;
  /** Let the process exit while the job's timer is pending. */
  unrefTimeout?: boolean;
  /** How late (ms) a tick may fire before `cron` skips it. Default 250. */
  threshold?: number;
  /** Wait this long (ms) after bootstrap before starting the job. */
  initialDelay?: number;
  /**
   * Lease time to live of a run, in ms or as a duration string (`'1m'`); the lease is renewed while
   * the job runs, so this is how soon another instance takes over the schedule when the running one
   * dies. Default: the module's `defaults.ttl`.
   */
  ttl?: Duration;
  /**
   * Keep the run's lock at least this long after the run started, in ms or as a duration string
   * (`'10m'`), so later ticks are skipped everywhere until then. Default 0. Not needed against
   * clock skew: ticks are claimed by their scheduled time, so a tick runs once however short the
   * job.
   */
  lockAtLeastFor?: Duration;
}

/**
 * A `@nestjs/schedule` cron job that runs on exactly one instance per scheduled tick.
 *
 * Each tick is claimed in the lock store under its nominal fire time (computed from the expression,
 * not from the instance's clock), so an instance whose clock is a few hundred ms off cannot run the
 * same tick again after a 1 ms job finished elsewhere. A run holds a renewed lock for its whole
 * duration: a run that outlasts the period makes later ticks skip (quietly, at debug level) on every
 * instance, never overlap. If the running instance dies, its lease expires after `ttl` and the next
 * tick runs elsewhere. Needs `ScheduleModule.forRoot()` and `LockModule.forRoot()` imported.
 *
 * @example
 * ```ts
 * @SingletonCron('0 0 3 * * *', { name: 'nightly-report', timeZone: 'Europe/Paris', ttl: 60_000 })
 * async nightlyReport() {
 *   const { signal } = currentLock()!;
 *   await this.reports.build({ signal });
 * }
 * ```
 */
export function SingletonCron(
  cronTime: string,
  options: SingletonCronOptions = {},
): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const where = `${(target as { constructor: { name: string } }).constructor.name}.${String(propertyKey)}`;
    if (typeof descriptor.value !== 'function') {
      throw new InvalidLockOptionsError('@SingletonCron', 'can only decorate a method', where);
    }
    const { ttl, lockAtLeastFor, ...cronOptions } = options ?? {};
    const name = options?.name ?? where;
    let schedule: CronSchedule | undefined;
    let problem: InvalidLockOptionsError | undefined;
    let ttlMs: number | undefined;
    let lockAtLeastForMs = 0;
    try {
      if (typeof name !== 'string' || name.length === 0) {
        throw new InvalidLockOptionsError('name', 'must be a non-empty string', where);
      }
      if (ttl !== undefined) ttlMs = validateTtl(ttl, 'ttl', where);
      if (lockAtLeastFor !== undefined) {
        lockAtLeastForMs = validateDelay(lockAtLeastFor, 'lockAtLeastFor', where);
      }
      schedule = parseSchedule(cronTime, options, where);
    } catch (error) {
      problem = error as InvalidLockOptionsError;
    }
    const job: SingletonCronJob = {
      kind: 'cron',
      where,
      name,
      schedule,
      ttl: ttlMs,
      lockAtLeastFor: lockAtLeastForMs,
      problem,
    };
    wrapMethod(descriptor, (instance, _args, invoke) =>
      lockRuntime.runCronTick(instance, job, invoke),
    );
    Reflect.defineMetadata(LOCKED_METHOD_METADATA, job, descriptor.value as object);
    defineCronMetadata(descriptor.value as object, cronTime, { ...cronOptions, name });
  };
}

function parseSchedule(
  cronTime: unknown,
  options: SingletonCronOptions,
  where: string,
): CronSchedule {
  if (typeof cronTime !== 'string') {
    throw new InvalidLockOptionsError(
      'cronTime',
      'must be a cron expression string, such as "0 */5 * * * *"',
      where,
    );
  }
  try {
    return new CronSchedule(cronTime, options.timeZone, options.utcOffset, where);
  } catch (error) {
    if (error instanceof InvalidLockOptionsError) throw error;
    throw new InvalidLockOptionsError(
      'cronTime',
      `"${cronTime}" is not a valid cron expression${options.timeZone ? ` in time zone "${options.timeZone}"` : ''}: ${error instanceof Error ? error.message : String(error)}`,
      where,
    );
  }
}
