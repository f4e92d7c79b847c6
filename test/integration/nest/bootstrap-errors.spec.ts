import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Injectable, Module, type ModuleMetadata, Scope } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import {
  InvalidLockOptionsError,
  LeaderElection,
  type Lock,
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
    expect(
      (
        await bootError(
          boot({ imports: [LockModule.forRoot({ logSkippedTicks: 'yes' as unknown as boolean })] }),
        )
      ).field,
    ).toBe('logSkippedTicks');
    expect(
      (
        await bootError(
          boot({
            imports: [
              LockModule.forRoot({
                telemetry: { keyPattern: 'order:*' as unknown as (key: string) => string },
              }),
            ],
          }),
        )
      ).field,
    ).toBe('telemetry.keyPattern');
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

describe('LockModule bootstrap validation of @LeaderElection and durations', () => {
  const withLocks = (...providers: ModuleMetadata['providers'] & unknown[]) =>
    boot({ imports: [LockModule.forRoot()], providers });

  it('refuses @LeaderElection on a class with neither hook', async () => {
    @Injectable()
    @LeaderElection('scheduler')
    class Hookless {
      run() {}
    }
    const error = await bootError(withLocks(Hookless));
    expect(error.field).toBe('@LeaderElection');
    expect(error.where).toBe('Hookless');
    expect(error.message).toContain('onLeadershipAcquired');
    expect(error.message).toContain('onLeadershipLost');
  });

  it('refuses one leadership key with two different ttls, naming both classes', async () => {
    @Injectable()
    @LeaderElection('scheduler', { ttl: '30s' })
    class First {
      onLeadershipAcquired(_lock: Lock) {}
    }
    @Injectable()
    @LeaderElection('scheduler', { ttl: 10_000 })
    class Second {
      onLeadershipLost(_lock: Lock) {}
    }
    const error = await bootError(withLocks(First, Second));
    expect(error.field).toBe('ttl');
    expect(error.message).toContain('"scheduler"');
    expect(error.message).toContain('30000 ms');
    expect(error.message).toContain('10000 ms');
    expect(`${error.where} ${error.message}`).toMatch(/First[\s\S]*Second|Second[\s\S]*First/);
  });

  it('accepts one key on two classes with the same ttl (given as ms and as a string)', async () => {
    @Injectable()
    @LeaderElection('reports', { ttl: '1m' })
    class First {
      onLeadershipAcquired(_lock: Lock) {}
    }
    @Injectable()
    @LeaderElection('reports', { ttl: 60_000 })
    class Second {
      onLeadershipAcquired(_lock: Lock) {}
    }
    await expect(withLocks(First, Second)).resolves.toBeUndefined();
  });

  it('refuses @LeaderElection on a request-scoped provider', async () => {
    @Injectable({ scope: Scope.REQUEST })
    @LeaderElection('scheduler')
    class PerRequest {
      onLeadershipAcquired(_lock: Lock) {}
    }
    const error = await bootError(withLocks(PerRequest));
    expect(error.message).toContain('singleton');
    expect(error.message).toContain('request-scoped');
  });

  it.each([
    [
      '@LeaderElection ttl',
      () => {
        @Injectable()
        @LeaderElection('scheduler', { ttl: '30 seconds' as '30s' })
        class Leader {
          onLeadershipAcquired(_lock: Lock) {}
        }
        return withLocks(Leader);
      },
      'ttl',
      '"30 seconds"',
    ],
    [
      '@Locked wait',
      () => {
        @Injectable()
        class Orders {
          @Locked('order:{0}', { wait: '2 s' as '2s' })
          async pay(_id: string) {}
        }
        return withLocks(Orders);
      },
      'wait',
      '"2 s"',
    ],
    [
      '@SingletonCron lockAtLeastFor',
      () => {
        @Injectable()
        class Jobs {
          @SingletonCron('* * * * * *', { lockAtLeastFor: '5mins' as '5m' })
          async run() {}
        }
        return withSchedule(Jobs);
      },
      'lockAtLeastFor',
      '"5mins"',
    ],
    [
      'module shutdownTimeout',
      () => boot({ imports: [LockModule.forRoot({ shutdownTimeout: '10x' as '10s' })] }),
      'shutdownTimeout',
      '"10x"',
    ],
    [
      'module defaults.ttl',
      () => boot({ imports: [LockModule.forRoot({ defaults: { ttl: '1.5ms' } })] }),
      'defaults.ttl',
      '"1.5ms"',
    ],
  ])(
    'refuses a malformed duration string in %s, naming the field',
    async (_name, start, field, shown) => {
      const error = await bootError(start());
      expect(error.field).toBe(field);
      expect(error.message).toContain(shown);
    },
  );

  it('accepts duration strings everywhere', async () => {
    @Injectable()
    @LeaderElection('scheduler', { ttl: '15s' })
    class Leader {
      onLeadershipAcquired(_lock: Lock) {}
    }
    @Injectable()
    class Jobs {
      @Locked('k', { ttl: '1m', wait: '500ms' })
      async locked() {}
      @SingletonCron('0 0 3 * * *', { ttl: '2h', lockAtLeastFor: '1d' })
      async nightly() {}
    }
    await expect(
      boot({
        imports: [
          ScheduleModule.forRoot(),
          LockModule.forRoot({ defaults: { ttl: '30s', wait: '0s' }, shutdownTimeout: '5s' }),
        ],
        providers: [Leader, Jobs],
      }),
    ).resolves.toBeUndefined();
  });
});
