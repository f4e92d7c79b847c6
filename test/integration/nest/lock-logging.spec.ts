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
    // Each tick one instance runs the job and the other skips it: wait until each has done both,
    // so that the quiet one has certainly skipped a tick.
    const ranOn = [0, 0];
    for (const [i, app] of apps.entries()) {
      app.get(LockService).on('acquired', () => ranOn[i]!++);
    }
    const skippedBy = (logger: KeepingLogger) =>
      logger.lines.filter((line) => line.message.includes('skipped'));
    const deadline = Date.now() + 20_000;
    while (
      (skippedBy(chatty).length === 0 || ranOn[0] === 0 || ranOn[1] === 0) &&
      Date.now() < deadline
    ) {
      await sleep(100);
    }
    expect(skippedBy(chatty)[0]).toEqual({
      level: 'debug',
      message: expect.stringContaining('already claimed by another instance'),
      context: 'LockModule',
    });
    expect(cronRuns).toBeGreaterThan(0);
    expect(skippedBy(quiet)).toEqual([]);
  });
});
