import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  type INestApplication,
  Injectable,
  Module,
  SetMetadata,
} from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { Cron, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import {
  currentLock,
  InvalidLockOptionsError,
  Locked,
  LockModule,
  LockNotAcquiredError,
  LockService,
} from '../../../lib/index.js';
import { sleep } from '../../support/async.js';

const seen: string[] = [];
const record = (what: string) => {
  const lock = currentLock();
  seen.push(`${what}:${lock ? `${lock.key}#${lock.fencingToken > 0n}` : 'unlocked'}`);
};

@Injectable()
class Jobs {
  @Cron('* * * * * *', { name: 'locked-below-cron' })
  @Locked('cron-below')
  async lockedBelowCron() {
    record('cron-below');
  }

  @Locked('cron-above')
  @Cron('* * * * * *', { name: 'locked-above-cron' })
  async lockedAboveCron() {
    record('cron-above');
  }

  @OnEvent('order.created')
  @Locked('event:{0.id}')
  async onOrderBelow(order: { id: string }) {
    record(`event-below-${order.id}`);
  }

  @Locked('event2:{0.id}')
  @OnEvent('order.created')
  async onOrderAbove(order: { id: string }) {
    record(`event-above-${order.id}`);
  }
}

@Injectable()
class Orders {
  @SetMetadata('role', 'admin')
  @Locked('order:{0}')
  async process(id: string, _note?: string) {
    return this.nested(id);
  }

  @Locked('order:{0}')
  async nested(id: string) {
    return { id, fence: currentLock()!.fencingToken };
  }

  @Locked((order: { id: number }) => `order:${order.id}`)
  async byFunction(_order: { id: number }) {
    return currentLock()!.key;
  }

  @Locked('slow:{0}', { onBusy: 'skip' })
  async skipWhenBusy(id: string) {
    await sleep(200);
    return `ran ${id}`;
  }

  @Locked('user:{1.user.id}')
  async deep(_first: string, _context: { user?: { id?: string } }) {
    return currentLock()!.key;
  }
}

@Controller('meta')
class MetaController {
  @Get('above')
  @SetMetadata('public', true)
  @Locked('meta-route')
  route() {
    return { key: currentLock()!.key };
  }
}

@Module({
  imports: [ScheduleModule.forRoot(), EventEmitterModule.forRoot(), LockModule.forRoot()],
  providers: [Jobs, Orders],
  controllers: [MetaController],
})
class AppModule {}

describe('@Locked alongside other decorators (memory backend)', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await app.close();
  });

  it('keeps @Cron working above and below it: both jobs are registered and run under their lock', async () => {
    const registry = app.get(SchedulerRegistry);
    expect([...registry.getCronJobs().keys()].sort()).toEqual([
      'locked-above-cron',
      'locked-below-cron',
    ]);
    for (
      let i = 0;
      i < 40 &&
      !(seen.includes('cron-below:cron-below#true') && seen.includes('cron-above:cron-above#true'));
      i++
    ) {
      await sleep(100);
    }
    expect(seen).toContain('cron-below:cron-below#true');
    expect(seen).toContain('cron-above:cron-above#true');
  });

  it('keeps @OnEvent working above and below it', async () => {
    await app.get(EventEmitter2).emitAsync('order.created', { id: 'o1' });
    expect(seen).toContain('event-below-o1:event:o1#true');
    expect(seen).toContain('event-above-o1:event2:o1#true');
  });

  it('keeps SetMetadata readable on the method, and the method’s name and length', () => {
    const reflector = app.get(Reflector);
    expect(reflector.get('role', Orders.prototype.process)).toBe('admin');
    expect(Orders.prototype.process.name).toBe('process');
    expect(Orders.prototype.process.length).toBe(2);
  });

  it('keeps route metadata working above it on a controller', async () => {
    const response = await fetch(`${await app.getUrl()}/meta/above`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ key: 'meta-route' });
    expect(app.get(Reflector).get('public', MetaController.prototype.route)).toBe(true);
  });

  it('re-enters a lock held by the same call chain instead of deadlocking', async () => {
    const result = await app.get(Orders).process('9');
    expect(result.id).toBe('9');
    expect(result.fence > 0n).toBe(true);
  });

  it('resolves keys from a function and from nested argument paths', async () => {
    const orders = app.get(Orders);
    await expect(orders.byFunction({ id: 5 })).resolves.toBe('order:5');
    await expect(orders.deep('x', { user: { id: 'u7' } })).resolves.toBe('user:u7');
  });

  it('refuses a key whose placeholder resolves to undefined, null or empty, taking no lock', async () => {
    const orders = app.get(Orders);
    const locks = app.get(LockService);
    for (const context of [{}, { user: {} }, { user: { id: '' } }]) {
      const error = await orders.deep('x', context).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidLockOptionsError);
      expect((error as InvalidLockOptionsError).where).toBe('Orders.deep');
      expect((error as Error).message).toContain('{1.user.id}');
    }
    await expect(orders.process(undefined as unknown as string)).rejects.toThrow(
      'placeholder {0} resolved to undefined',
    );
    expect(await locks.isLocked('user:undefined')).toBe(false);
    expect(await locks.isLocked('order:undefined')).toBe(false);
  });

  it('skips a call whose lock is busy when onBusy is "skip"', async () => {
    const orders = app.get(Orders);
    const [first, second] = await Promise.all([orders.skipWhenBusy('a'), orders.skipWhenBusy('a')]);
    expect([first, second].sort()).toEqual(['ran a', undefined].sort());
  });

  it('throws LockNotAcquiredError from a busy provider method by default', async () => {
    const orders = app.get(Orders);
    const locks = app.get(LockService);
    const held = await locks.acquire('order:busy');
    await expect(orders.nested('busy')).rejects.toBeInstanceOf(LockNotAcquiredError);
    await held.release();
    await expect(orders.nested('busy')).resolves.toMatchObject({ id: 'busy' });
  });
});
