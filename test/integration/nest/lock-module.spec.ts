import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import {
  LOCK_MODULE_OPTIONS,
  Locked,
  type LockLostError,
  LockManager,
  LockManagerClosedError,
  LockModule,
  type LockModuleOptions,
  LockService,
  MemoryLockBackend,
  RedisLockBackend,
} from '../../../lib/index.js';
import { sleep, uniqueId } from '../../support/async.js';
import { REDIS_URL } from '../../support/servers.js';

const CONFIG = 'CONFIG';

@Module({
  providers: [{ provide: CONFIG, useValue: { prefix: 'from-config:' } }],
  exports: [CONFIG],
})
class ConfigModule {}

@Injectable()
class LockOptionsFactory {
  constructor(@Inject(CONFIG) private readonly config: { prefix: string }) {}
  createLockModuleOptions(): LockModuleOptions {
    return { keyPrefix: this.config.prefix };
  }
}

async function context(imports: unknown[], providers: unknown[] = []) {
  @Module({ imports: imports as never[], providers: providers as never[] })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
}

describe('LockModule', () => {
  it('defaults to an in-memory backend and the "locker:" prefix with forRoot()', async () => {
    const app = await context([LockModule.forRoot()]);
    const manager = app.get(LockManager);
    expect(manager.backend).toBeInstanceOf(MemoryLockBackend);
    expect(manager.keyPrefix).toBe('locker:');
    expect(manager.defaults).toEqual({ ttl: 30_000, wait: 0, fair: false });
    await app.close();
  });

  it('takes options from forRootAsync with useFactory, inject and imports', async () => {
    const app = await context([
      LockModule.forRootAsync({
        imports: [ConfigModule],
        inject: [CONFIG],
        useFactory: (config: { prefix: string }) => ({
          keyPrefix: config.prefix,
          defaults: { ttl: 5_000 },
        }),
      }),
    ]);
    expect(app.get(LockManager).keyPrefix).toBe('from-config:');
    expect(app.get(LockManager).defaults.ttl).toBe(5_000);
    expect(app.get(LOCK_MODULE_OPTIONS)).toMatchObject({ keyPrefix: 'from-config:' });
    await app.close();
  });

  it('takes options from forRootAsync with useClass and useExisting', async () => {
    const byClass = await context([
      LockModule.forRootAsync({ imports: [ConfigModule], useClass: LockOptionsFactory }),
    ]);
    expect(byClass.get(LockManager).keyPrefix).toBe('from-config:');
    await byClass.close();

    @Module({
      imports: [ConfigModule],
      providers: [LockOptionsFactory],
      exports: [LockOptionsFactory],
    })
    class FactoryModule {}
    const existing = await context([
      LockModule.forRootAsync({ imports: [FactoryModule], useExisting: LockOptionsFactory }),
    ]);
    expect(existing.get(LockManager).keyPrefix).toBe('from-config:');
    await existing.close();
  });

  it('is global by default, and not with isGlobal: false', async () => {
    @Injectable()
    class Consumer {
      constructor(readonly locks: LockService) {}
    }
    @Module({ providers: [Consumer] })
    class FeatureModule {}

    const global = await context([LockModule.forRoot(), FeatureModule]);
    expect(global.get(Consumer).locks).toBeInstanceOf(LockService);
    await global.close();

    await expect(context([LockModule.forRoot({ isGlobal: false }), FeatureModule])).rejects.toThrow(
      /resolve dependencies of the Consumer/,
    );
  });

  describe('on shutdown', () => {
    @Injectable()
    class Worker {
      readonly finished: string[] = [];
      @Locked('job:{0}')
      async run(id: string, ms: number) {
        await sleep(ms);
        this.finished.push(id);
        return id;
      }
    }

    it('waits for locked calls in progress, refuses new ones, then releases their locks', async () => {
      const backend = new MemoryLockBackend();
      const app = await context([LockModule.forRoot({ backend })], [Worker]);
      const worker = app.get(Worker);
      const locks = app.get(LockService);
      const running = worker.run('a', 300);
      await sleep(50);
      const closing = app.close();
      await sleep(10);
      await expect(worker.run('b', 0)).rejects.toBeInstanceOf(LockManagerClosedError);
      await expect(running).resolves.toBe('a');
      await closing;
      expect(worker.finished).toEqual(['a']);
      expect(await new LockManager({ backend }).isLocked('job:a')).toBe(false);
      expect(locks.inFlight).toBe(0);
    });

    it('gives up waiting after shutdownTimeout: the lock is released and its signal aborts', async () => {
      const backend = new MemoryLockBackend();
      const app = await context([LockModule.forRoot({ backend, shutdownTimeout: 100 })]);
      const locks = app.get(LockService);
      let signal: AbortSignal | undefined;
      const running = locks.using('long', async (lock) => {
        signal = lock.signal;
        await sleep(2_000);
      });
      await sleep(20);
      await app.close();
      expect(signal!.aborted).toBe(true);
      expect((signal!.reason as LockLostError).reason).toBe('closed');
      expect(await new LockManager({ backend }).isLocked('long')).toBe(false);
      await running;
    });

    it('closes the connection its backend opened, and leaves a client it was given open', async () => {
      const client = new Redis(REDIS_URL);
      const prefix = `module:${uniqueId()}:`;
      const app = await context([
        LockModule.forRoot({ backend: new RedisLockBackend({ client }), keyPrefix: prefix }),
      ]);
      const lock = await app.get(LockService).acquire('held');
      await app.close();
      expect(await client.ping()).toBe('PONG');
      expect(await client.exists(`{${prefix}held}`)).toBe(0);
      expect(lock.isHeld()).toBe(false);
      await client.quit();
    });
  });
});
