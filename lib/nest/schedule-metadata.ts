import 'reflect-metadata';

/**
 * The metadata `@Cron()` of `@nestjs/schedule` (v4 to v12) writes on a method, written here
 * without importing that package, so that it stays an optional peer dependency: an app that never
 * uses `@SingletonCron()` does not need it installed. `ScheduleModule`'s explorer discovers the
 * method from these keys exactly as it discovers a `@Cron()` one. The integration tests check that
 * the job lands in `SchedulerRegistry` and runs.
 */
const SCHEDULE_CRON_OPTIONS = 'SCHEDULE_CRON_OPTIONS';
const SCHEDULER_NAME = 'SCHEDULER_NAME';
const SCHEDULER_TYPE = 'SCHEDULER_TYPE';
const SCHEDULER_TYPE_CRON = 1;

/** Marks `method` as a cron job for `@nestjs/schedule`, as `@Cron(cronTime, options)` would. */
export function defineCronMetadata(
  method: object,
  cronTime: string,
  options: { name: string } & object,
): void {
  Reflect.defineMetadata(SCHEDULE_CRON_OPTIONS, { ...options, cronTime }, method);
  Reflect.defineMetadata(SCHEDULER_NAME, options.name, method);
  Reflect.defineMetadata(SCHEDULER_TYPE, SCHEDULER_TYPE_CRON, method);
}
