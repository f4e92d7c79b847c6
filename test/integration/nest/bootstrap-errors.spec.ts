import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Injectable, Module, type ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import {
  InvalidLockOptionsError,
  Locked,
  LockModule,
  LockModuleNotReadyError,
  SingletonCron,
} from '../../../lib/index.js';

async function boot(metadata: ModuleMetadata): Promise<void> {
  @Module(metadata)
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, {
    logger: false,
    abortOnError: false,
  });
  await app.close();
}

const withSchedule = (...providers: ModuleMetadata['providers'] & unknown[]) =>
  boot({ imports: [ScheduleModule.forRoot(), LockModule.forRoot()], providers });

async function bootError(metadata: Promise<void>): Promise<InvalidLockOptionsError> {
  const error = await metadata.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidLockOptionsError);
  return error as InvalidLockOptionsError;
}

describe('LockModule bootstrap validation', () => {
  it('refuses an invalid cron expression, naming class and method', async () => {
    @Injectable()
    class Reports {
      @SingletonCron('61 * * * * *')
      async nightly() {}
    }
    const error = await bootError(withSchedule(Reports));
    expect(error.field).toBe('cronTime');
    expect(error.where).toBe('Reports.nightly');
    expect(error.message).toContain('"61 * * * * *"');
  });

  it('refuses an unknown time zone', async () => {
    @Injectable()
    class Zoned {
      @SingletonCron('0 0 * * * *', { timeZone: 'Mars/Olympus' })
      async hourly() {}
    }
    const error = await bootError(withSchedule(Zoned));
    expect(error.field).toBe('cronTime');
    expect(error.message).toContain('Mars/Olympus');
  });

  it('refuses two jobs with the same name, naming both', async () => {
    @Injectable()
    class First {
      @SingletonCron('0 * * * * *', { name: 'report' })
      async run() {}
    }
    @Injectable()
    class Second {
      @SingletonCron('30 * * * * *', { name: 'report' })
      async run() {}
    }
    const error = await bootError(withSchedule(First, Second));
    expect(error.field).toBe('name');
    expect(error.message).toContain('"report"');
    expect(error.message).toMatch(/First\.run|Second\.run/);
  });

  it('refuses a @Locked template that reads an argument the method does not take', async () => {
    @Injectable()
    class Orders {
      @Locked('order:{1}')
      async pay(_id: string) {}
    }
    const error = await bootError(withSchedule(Orders));
    expect(error.field).toBe('key');
    expect(error.where).toBe('Orders.pay');
    expect(error.message).toContain('{1}');
    expect(error.message).toContain('takes 1 argument');
  });

  it.each([
    ['a negative ttl', { ttl: -1 }, 'ttl'],
    ['a NaN wait', { wait: Number.NaN }, 'wait'],
    ['an unknown onBusy', { onBusy: 'queue' }, 'onBusy'],
  ])('refuses @Locked with %s', async (_name, options, field) => {
    @Injectable()
    class Bad {
      @Locked('k', options as object)
      async run() {}
    }
    const error = await bootError(withSchedule(Bad));
    expect(error.field).toBe(field);
    expect(error.where).toBe('Bad.run');
  });

  it('refuses @SingletonCron with a negative ttl or lockAtLeastFor', async () => {
    @Injectable()
    class BadTtl {
      @SingletonCron('* * * * * *', { ttl: -5 })
      async run() {}
    }
    expect((await bootError(withSchedule(BadTtl))).field).toBe('ttl');
    @Injectable()
    class BadAtLeast {
      @SingletonCron('* * * * * *', { lockAtLeastFor: -1 })
      async run() {}
    }
    expect((await bootError(withSchedule(BadAtLeast))).field).toBe('lockAtLeastFor');
  });

  it('refuses @SingletonCron when ScheduleModule is not imported', async () => {
    @Injectable()
    class Unscheduled {
      @SingletonCron('* * * * * *')
      async run() {}
    }
    const error = await bootError(
      boot({ imports: [LockModule.forRoot()], providers: [Unscheduled] }),
    );
    expect(error.message).toContain('ScheduleModule.forRoot()');
    expect(error.where).toBe('Unscheduled.run');
  });

  it('refuses bad module options, naming the field', async () => {
    expect(
      (await bootError(boot({ imports: [LockModule.forRoot({ defaults: { ttl: 0 } })] }))).field,
    ).toBe('defaults.ttl');
    expect(
      (await bootError(boot({ imports: [LockModule.forRoot({ shutdownTimeout: -1 })] }))).field,
    ).toBe('shutdownTimeout');
    const asyncError = await bootError(
      boot({
        imports: [
          LockModule.forRootAsync({ useFactory: () => ({ keyPrefix: 42 as unknown as string }) }),
        ],
      }),
    );
    expect(asyncError.field).toBe('keyPrefix');
  });

  it('explains what to do when a locked method runs before any LockModule started', async () => {
    class Standalone {
      @Locked('k')
      async run() {
        return 'ran';
      }
    }
    const error = await new Standalone().run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockModuleNotReadyError);
    expect((error as Error).message).toContain(
      'Standalone.run was called before LockModule was initialised',
    );
    expect((error as Error).message).toContain('LockModule.forRoot()');
  });
});
