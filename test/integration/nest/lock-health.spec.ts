import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  HealthCheck,
  type HealthCheckResult,
  HealthCheckService,
  type HealthIndicatorResult,
  TerminusModule,
} from '@nestjs/terminus';
import {
  type Lock,
  type LockBackend,
  LockHealthIndicator,
  LockManager,
  LockModule,
  LockService,
  MemoryLockBackend,
  RedisLockBackend,
} from '../../../lib/index.js';
import { aborted } from '../../support/async.js';
import { TestRedisServer } from '../../support/redis-server.js';
import { testPort } from '../../support/servers.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly lock: LockHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.lock.isHealthy('lock', { timeout: 500 })]);
  }
}

async function get(url: string): Promise<{ status: number; body: HealthCheckResult }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as HealthCheckResult };
}

describe('LockHealthIndicator with @nestjs/terminus (a Redis server of its own)', () => {
  const server = new TestRedisServer(testPort(6471));
  let app: INestApplication;
  let url: string;
  let held: Lock;

  beforeAll(async () => {
    server.start();
    @Module({
      imports: [
        TerminusModule.forRoot({ logger: false }),
        LockModule.forRoot({
          backend: new RedisLockBackend({
            url: server.url,
            onWarning: false,
            connection: { maxRetriesPerRequest: 1 },
          }),
        }),
      ],
      controllers: [HealthController],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    url = `${await app.getUrl()}/health`;
    held = await app.get(LockService).acquire('health:held', { ttl: 1_500 });
  });
  afterAll(async () => {
    // Back up first, so that closing does not leave the client reconnecting to a dead server.
    server.start();
    await app?.close();
    server.stop();
  });

  it('returns a result terminus reads (typed as its HealthIndicatorResult)', async () => {
    const result: HealthIndicatorResult = await app.get(LockHealthIndicator).isHealthy('store');
    expect(result.store?.status).toBe('up');
  });

  it('is up with the held-lock count while the store answers', async () => {
    const { status, body } = await get(url);
    expect(status).toBe(200);
    expect(body.info?.lock).toEqual({
      status: 'up',
      backend: 'redis',
      responseTimeMs: expect.any(Number),
      heldLocks: 1,
      renewalFailures: 0,
      lostLeases: 0,
    });
  });

  it('turns 503 when the store stops answering (bounded by the timeout)', async () => {
    server.pause();
    try {
      const { status, body } = await get(url);
      expect(status).toBe(503);
      expect(body.error?.lock).toEqual(
        expect.objectContaining({ status: 'down', message: 'no answer within 500 ms' }),
      );
    } finally {
      server.resume();
    }
  });

  it('turns 503 when the store is down, and reports the lost lease', async () => {
    await server.kill();
    await aborted(held.signal, 10_000);
    const { status, body } = await get(url);
    expect(status).toBe(503);
    expect(body.error?.lock).toEqual(
      expect.objectContaining({ status: 'down', backend: 'redis', heldLocks: 0, lostLeases: 1 }),
    );
  });
});

describe('LockHealthIndicator renewal health', () => {
  it('counts failed renewals while the store still answers reads', async () => {
    const memory = new MemoryLockBackend();
    // A store whose extends fail (a replica set to read-only, say): reads and grants still work.
    const backend: LockBackend = {
      name: 'flaky',
      acquire: (key, owner, ttlMs) => memory.acquire(key, owner, ttlMs),
      extend: () => Promise.reject(new Error('READONLY')),
      release: (key, owner) => memory.release(key, owner),
      inspect: (key) => memory.inspect(key),
      close: () => memory.close(),
    };
    const manager = new LockManager({ backend });
    const indicator = new LockHealthIndicator(manager);
    try {
      const lock = await manager.acquire('renewed', { ttl: 600 });
      await aborted(lock.signal, 10_000);
      const { lock: details } = await indicator.isHealthy();
      expect(details).toEqual(
        expect.objectContaining({ status: 'up', heldLocks: 0, lostLeases: 1 }),
      );
      expect(details.renewalFailures).toBeGreaterThan(0);
    } finally {
      indicator.onModuleDestroy();
      await manager.close();
    }
  });
});
