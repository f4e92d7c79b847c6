import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import {
  InvalidLockOptionsError,
  LeaderElection,
  type LockBackend,
  Locked,
  LockManager,
  LockModule,
  MemoryLockBackend,
  SingletonCron,
} from '../../../lib/index.js';
import { interceptBackend } from '../../../lib/testing/index.js';

const LIMIT_MS = 5_000;

/** A store whose leases cannot be promised longer than 5 s, as a ZooKeeper session's timeout. */
class SessionBoundBackend extends MemoryLockBackend {
  readonly maxTtlMs = LIMIT_MS;
}

async function caught(run: () => unknown): Promise<InvalidLockOptionsError> {
  const error = await Promise.resolve()
    .then(run)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(InvalidLockOptionsError);
  return error as InvalidLockOptionsError;
}

describe('a backend that limits how long it can promise a lease (maxTtlMs)', () => {
  const managers: LockManager[] = [];
  const manager = (backend: LockBackend = new SessionBoundBackend()): LockManager => {
    const created = new LockManager({ backend, defaults: { ttl: LIMIT_MS } });
    managers.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
  });

  it('refuses a manager whose default ttl is longer, at construction', async () => {
    const error = await caught(
      () => new LockManager({ backend: new SessionBoundBackend(), defaults: { ttl: '6s' } }),
    );
    expect(error.field).toBe('defaults.ttl');
    expect(error.message).toContain('5000 ms');
  });

  it("takes the backend's limit as its default ttl when none is given", async () => {
    const locks = new LockManager({ backend: new SessionBoundBackend() });
    managers.push(locks);
    expect(locks.defaults.ttl).toBe(LIMIT_MS);
    const lock = await locks.acquire('report');
    expect(lock.ttlMs).toBe(LIMIT_MS);
    await lock.release();
  });

  it('refuses a longer acquire, claim or extend, taking or changing nothing', async () => {
    const locks = manager();
    expect((await caught(() => locks.acquire('report', { ttl: '6s' }))).field).toBe('ttl');
    expect(await locks.isLocked('report')).toBe(false);
    expect((await caught(() => locks.claim('mail:1', '1h'))).field).toBe('ttl');
    expect(await locks.isLocked('mail:1')).toBe(false);

    const lock = await locks.acquire('report', { ttl: LIMIT_MS });
    expect((await caught(() => lock.extend('10s'))).field).toBe('ttl');
    expect(lock.isHeld()).toBe(true);
    await lock.extend(LIMIT_MS);
    expect(await lock.release()).toBe(true);
  });

  describe('at bootstrap', () => {
    async function bootError(providers: ModuleMetadata['providers']) {
      @Module({
        imports: [
          ScheduleModule.forRoot(),
          LockModule.forRoot({ backend: new SessionBoundBackend(), defaults: { ttl: '5s' } }),
        ],
        providers,
      })
      class AppModule {}
      return caught(async () => {
        const app = await NestFactory.createApplicationContext(AppModule, {
          logger: false,
          abortOnError: false,
        });
        await app.close();
      });
    }

    it('refuses @Locked with a longer ttl, naming the method', async () => {
      @Injectable()
      class Orders {
        @Locked('order:{0}', { ttl: '30s' })
        async charge(_id: string) {}
      }
      const error = await bootError([Orders]);
      expect(error.field).toBe('ttl');
      expect(error.where).toBe('Orders.charge');
    });

    it('refuses @SingletonCron with a longer ttl or lockAtLeastFor', async () => {
      @Injectable()
      class Slow {
        @SingletonCron('0 * * * * *', { name: 'slow', ttl: '1m' })
        async run() {}
      }
      expect((await bootError([Slow])).field).toBe('ttl');

      @Injectable()
      class Sticky {
        @SingletonCron('0 * * * * *', { name: 'sticky', lockAtLeastFor: '10s' })
        async run() {}
      }
      const error = await bootError([Sticky]);
      expect(error.field).toBe('lockAtLeastFor');
      expect(error.where).toBe('Sticky.run');
    });

    it('refuses @LeaderElection with a longer ttl', async () => {
      @LeaderElection('billing', { ttl: '15s' })
      @Injectable()
      class Billing {
        onLeadershipAcquired() {}
      }
      const error = await bootError([Billing]);
      expect(error.field).toBe('ttl');
      expect(error.where).toContain('Billing');
    });
  });

  it('claims a cron tick for no longer than the backend can promise, and runs it', async () => {
    const claims: number[] = [];
    let ran!: () => void;
    const firstRun = new Promise<void>((resolve) => {
      ran = resolve;
    });
    const backend = interceptBackend(new SessionBoundBackend(), (call, proceed) => {
      const [key, , ttlMs] = call.args as [string, string, number];
      if (call.method === 'acquire' && key.includes('cron:every-second:')) claims.push(ttlMs);
      return proceed();
    });
    // The testing kit's view reads the limit through.
    expect(backend.maxTtlMs).toBe(LIMIT_MS);

    @Injectable()
    class Ticker {
      // Every second: its claims would live 10 s (twice the period, at least 10 s).
      @SingletonCron('* * * * * *', { name: 'every-second', ttl: '2s' })
      async tick() {
        ran();
      }
    }
    @Module({
      imports: [ScheduleModule.forRoot(), LockModule.forRoot({ backend, defaults: { ttl: '5s' } })],
      providers: [Ticker],
    })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    try {
      await firstRun;
      expect(claims.length).toBeGreaterThanOrEqual(1);
      for (const ttlMs of claims) expect(ttlMs).toBe(LIMIT_MS);
    } finally {
      await app.close();
    }
  });

  it('takes locks for the ttl a store really keeps (effectiveTtlMs), in acquire, claim and extend', async () => {
    const asked: number[] = [];
    const inner = new MemoryLockBackend();
    const backend = interceptBackend(inner, (call, proceed) => {
      if (call.method === 'acquire' || call.method === 'extend') {
        const ttlMs =
          call.method === 'acquire'
            ? (call.args[2] as number)
            : (call.args[0] as { ttlMs: number }[])[0]!.ttlMs;
        asked.push(ttlMs);
      }
      return proceed();
    });
    // As etcd: whole seconds.
    Object.assign(backend, { effectiveTtlMs: (ttlMs: number) => Math.ceil(ttlMs / 1000) * 1000 });
    const locks = new LockManager({ backend, defaults: { ttl: '2s' } });
    managers.push(locks);

    const lock = await locks.acquire('report', { ttl: 300, autoRenew: false });
    expect(lock.ttlMs).toBe(1_000);
    await lock.extend(1_500);
    expect(lock.ttlMs).toBe(2_000);
    expect(await locks.claim('mail:1', 10)).toBe(true);
    expect(asked).toEqual([1_000, 2_000, 1_000]);
    await lock.release();
  });
});
