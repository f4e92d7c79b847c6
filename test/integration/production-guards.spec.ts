import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import {
  InvalidLockOptionsError,
  LockManager,
  LockModule,
  type LockModuleOptions,
  MemoryLockBackend,
  RedisLockBackend,
} from '../../lib/index.js';
import { sleep } from '../support/async.js';
import { TestRedisServer } from '../support/redis-server.js';
import { testPort } from '../support/servers.js';

async function boot(options: LockModuleOptions): Promise<unknown> {
  @Module({ imports: [LockModule.forRoot(options)] })
  class AppModule {}
  try {
    const app = await NestFactory.createApplicationContext(AppModule, {
      logger: false,
      abortOnError: false,
    });
    await app.close();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('the memory backend under NODE_ENV=production', () => {
  const nodeEnv = process.env.NODE_ENV;
  beforeAll(() => {
    process.env.NODE_ENV = 'production';
  });
  afterAll(() => {
    process.env.NODE_ENV = nodeEnv;
  });

  it('is refused as the default backend, saying what to do', async () => {
    const error = (await boot({})) as InvalidLockOptionsError;
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect(error.field).toBe('backend');
    expect(error.message).toContain('NODE_ENV=production');
    expect(error.message).toContain('RedisLockBackend');
    expect(error.message).toContain('allowMemoryInProduction: true');
  });

  it('is refused when passed explicitly', async () => {
    const error = (await boot({ backend: new MemoryLockBackend() })) as InvalidLockOptionsError;
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect(error.field).toBe('backend');
  });

  it('runs with allowMemoryInProduction: true', async () => {
    expect(await boot({ allowMemoryInProduction: true })).toBeUndefined();
    expect(
      await boot({ backend: new MemoryLockBackend(), allowMemoryInProduction: true }),
    ).toBeUndefined();
  });

  it('does not concern a shared store', async () => {
    const backend = new RedisLockBackend({ url: 'redis://127.0.0.1:1', onWarning: false });
    expect(await boot({ backend })).toBeUndefined();
  });
});

describe('RedisLockBackend server check (redis-server with maxmemory-policy allkeys-lru)', () => {
  const server = new TestRedisServer(testPort(6396), ['--maxmemory-policy', 'allkeys-lru']);
  const managers: LockManager[] = [];
  const clients: Redis[] = [];

  beforeAll(() => server.start());
  afterAll(() => server.stop());
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
    await Promise.all(clients.splice(0).map((c) => c.quit()));
  });

  /** Uses a backend for a few locks and returns the warnings it gave. */
  async function warningsOf(options: { url: string } | { client: Redis }): Promise<string[]> {
    const warnings: string[] = [];
    const locks = new LockManager({
      backend: new RedisLockBackend({ ...options, onWarning: (m) => warnings.push(m) }),
      keyPrefix: 'server-check:',
    });
    managers.push(locks);
    for (let i = 0; i < 3; i++) await (await locks.acquire(`k${i}`)).release();
    await locks.inspect('k0');
    // The check runs in the background on first use; give it a moment to answer.
    for (let i = 0; i < 50 && warnings.length === 0; i++) await sleep(20);
    await sleep(100);
    return warnings;
  }

  it('warns once that lock keys can be evicted and are lost on restart', async () => {
    const warnings = await warningsOf({ url: server.url });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`127.0.0.1:${server.port}`);
    expect(warnings[0]).toContain('maxmemory-policy is "allkeys-lru"');
    expect(warnings[0]).toContain('maxmemory-policy noeviction');
    expect(warnings[0]).toContain('appendonly yes');
  });

  it('reads the policy from INFO when the server refuses CONFIG (managed Redis)', async () => {
    const admin = new Redis(server.url);
    clients.push(admin);
    await admin.call('ACL', 'SETUSER', 'app', 'on', 'nopass', '~*', '&*', '+@all', '-config');
    const client = new Redis(server.url, { username: 'app' });
    clients.push(client);
    await expect(client.config('GET', 'maxmemory-policy')).rejects.toThrow(/NOPERM/);
    const warnings = await warningsOf({ client });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"allkeys-lru"');
  });

  it('says nothing once the server keeps lock keys (noeviction, AOF on)', async () => {
    const admin = new Redis(server.url);
    clients.push(admin);
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'appendonly', 'yes');
    try {
      expect(await warningsOf({ url: server.url })).toEqual([]);
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      await admin.config('SET', 'appendonly', 'no');
    }
  });
});
