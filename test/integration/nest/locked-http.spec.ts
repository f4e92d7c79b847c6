import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, type INestApplication, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { currentLock, Locked, LockModule, RedisLockBackend } from '../../../lib/index.js';
import { sleep, uniqueId } from '../../support/async.js';
import { REDIS_URL } from '../../support/servers.js';

const sections: { start: number; end: number; fence: bigint }[] = [];

@Controller('orders')
class OrdersController {
  @Post(':id/pay')
  @Locked('order:{0}', { ttl: 5_000 })
  async pay(@Param('id') id: string) {
    await sleep(300);
    return { paid: id, fence: currentLock()!.fencingToken.toString() };
  }

  @Post(':id/ship')
  @Locked('ship:{0}', { wait: 20_000 })
  async ship(@Param('id') _id: string) {
    const start = performance.now();
    await sleep(30);
    sections.push({ start, end: performance.now(), fence: currentLock()!.fencingToken });
    return { shipped: true };
  }
}

/** Built in beforeAll, so that skipping this suite opens no connection. */
function appModule() {
  @Module({
    imports: [
      LockModule.forRoot({
        backend: new RedisLockBackend({ url: REDIS_URL }),
        keyPrefix: `http:${uniqueId()}:`,
      }),
    ],
    controllers: [OrdersController],
  })
  class AppModule {}
  return AppModule;
}

describe('@Locked on a controller, over HTTP, with real Redis', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await NestFactory.create(appModule(), { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers one of 8 concurrent requests on one key and refuses the rest with 409 and Retry-After', async () => {
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => fetch(`${url}/orders/42/pay`, { method: 'POST' })),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    for (const response of responses.filter((r) => r.status === 409)) {
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await response.json()) as {
        statusCode: number;
        errorCode: string;
        message: string;
      };
      expect(body.statusCode).toBe(409);
      expect(body.errorCode).toBe('LOCK_NOT_ACQUIRED');
      expect(body.message).toContain('order:42');
    }
    const ok = responses.find((r) => r.status === 201)!;
    expect(((await ok.json()) as { paid: string }).paid).toBe('42');
  });

  it('does not block requests on other keys', async () => {
    const responses = await Promise.all(
      ['1', '2', '3'].map((id) => fetch(`${url}/orders/${id}/pay`, { method: 'POST' })),
    );
    expect(responses.map((r) => r.status)).toEqual([201, 201, 201]);
  });

  it('serves every request in turn when the route waits for the lock', async () => {
    sections.length = 0;
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => fetch(`${url}/orders/7/ship`, { method: 'POST' })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
    const ordered = [...sections].sort((a, b) => a.start - b.start);
    for (let i = 1; i < ordered.length; i++) {
      expect(ordered[i]!.start).toBeGreaterThanOrEqual(ordered[i - 1]!.end);
      expect(ordered[i]!.fence > ordered[i - 1]!.fence).toBe(true);
    }
  });
});
