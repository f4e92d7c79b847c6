import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  type INestApplicationContext,
  Injectable,
  type LoggerService,
  Module,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import {
  LockModule,
  type LockModuleOptions,
  LockService,
  MemoryLockBackend,
  RedisLockBackend,
  SingletonCron,
} from '../../../lib/index.js';
import { sleep, uniqueId } from '../../support/async.js';
import { REDIS_URL } from '../../support/servers.js';

interface Line {
  level: string;
  message: string;
  context: unknown;
}

/** A Nest logger that keeps every line. */
class KeepingLogger implements LoggerService {
  readonly lines: Line[] = [];
  log = (message: string, context?: unknown) => this.keep('log', message, context);
  error = (message: string, _stack?: unknown, context?: unknown) =>
    this.keep('error', message, context);
  warn = (message: string, context?: unknown) => this.keep('warn', message, context);
  debug = (message: string, context?: unknown) => this.keep('debug', message, context);
  verbose = (message: string, context?: unknown) => this.keep('verbose', message, context);
  private keep(level: string, message: string, context: unknown) {
    this.lines.push({ level, message: String(message), context });
  }
}

let cronRuns = 0;

@Injectable()
class Jobs {
  @SingletonCron('* * * * * *', { name: 'logging-every-second' })
  async tick() {
    cronRuns++;
  }
}

function start(options: LockModuleOptions, logger: LoggerService, withCron = false) {
  @Module({
    imports: [...(withCron ? [ScheduleModule.forRoot()] : []), LockModule.forRoot(options)],
    providers: withCron ? [Jobs] : [],
  })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, { logger, abortOnError: false });
}

describe('LockModule logging', () => {
  const apps: INestApplicationContext[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it("sends the Redis configuration warning to Nest's Logger (context LockModule), not process warnings", async () => {
    const processWarnings: string[] = [];
    const onWarning = (warning: Error) => processWarnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const logger = new KeepingLogger();
      // The shared test Redis runs without AOF: a configuration that can lose locks.
      const app = await start({ backend: new RedisLockBackend({ url: REDIS_URL }) }, logger);
      apps.push(app);
      await (await app.get(LockService).acquire(`logging:${uniqueId()}`)).release();
      const deadline = Date.now() + 10_000;
      while (!logger.lines.some((line) => line.level === 'warn') && Date.now() < deadline) {
        await sleep(20);
      }
      expect(logger.lines).toContainEqual({
        level: 'warn',
        message: expect.stringContaining('can lose locks'),
        context: 'LockModule',
      });
      expect(processWarnings.filter((message) => message.includes('nestjs-locker'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('does not log skipped cron ticks by default, and logs them with logSkippedTicks', async () => {
    const backend = new MemoryLockBackend();
    const quiet = new KeepingLogger();
    const chatty = new KeepingLogger();
    apps.push(
      await start({ backend }, quiet, true),
      await start({ backend, logSkippedTicks: true }, chatty, true),
    );
    cronRuns = 0;
    // Which of the two claims a tick first is up to the order their timers fire in, which can stay
    // the same for a whole run. So the test claims three ticks itself, two seconds ahead: both
    // instances find those claimed by another and skip them.
    const second = 1_000;
    const first = (Math.floor(Date.now() / second) + 2) * second;
    const claimed = [first, first + second, first + 2 * second];
    for (const tick of claimed) {
      expect(await apps[0]!.get(LockService).claim(`cron:logging-every-second:${tick}`, '1m')).toBe(
        true,
      );
    }
    const skippedBy = (logger: KeepingLogger) =>
      logger.lines.filter((line) => line.message.includes('skipped'));
    const skippedClaimed = () =>
      claimed.filter((tick) =>
        skippedBy(chatty).some((line) => line.message.includes(new Date(tick).toISOString())),
      );
    // All three skipped by the chatty one: the quiet one has been through the first two at least.
    const deadline = Date.now() + 20_000;
    while ((skippedClaimed().length < 3 || cronRuns === 0) && Date.now() < deadline) {
      await sleep(100);
    }
    expect(skippedClaimed()).toEqual(claimed);
    for (const line of skippedBy(chatty)) {
      expect(line).toEqual({
        level: 'debug',
        message: expect.stringContaining('already claimed by another instance'),
        context: 'LockModule',
      });
    }
    expect(cronRuns).toBeGreaterThan(0);
    expect(skippedBy(quiet)).toEqual([]);
  });
});
