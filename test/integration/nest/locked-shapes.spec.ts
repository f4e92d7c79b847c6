import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import {
  currentLock,
  InvalidLockOptionsError,
  Locked,
  MemoryLockBackend,
} from '../../../lib/index.js';
import { interceptBackend } from '../../../lib/testing/index.js';
import { sleep } from '../../support/async.js';
import { bootWithLocks } from '../../support/nest-context.js';
import { plainBackend } from '../../support/plain-backend.js';

const boot = bootWithLocks;

/** Counts callers inside at once. */
class Gauge {
  inside = 0;
  most = 0;
  async hold(ms: number): Promise<void> {
    this.inside++;
    this.most = Math.max(this.most, this.inside);
    await sleep(ms);
    this.inside--;
  }
}

describe('@Locked() with permits, several keys, fair and mode', () => {
  it('lets at most `permits` calls run at once', async () => {
    @Injectable()
    class PartnerApi {
      readonly gauge = new Gauge();
      @Locked('partner', { permits: 3, wait: 10_000 })
      async call(): Promise<bigint> {
        await this.gauge.hold(20);
        return currentLock()!.fencingToken;
      }
    }
    const { app, service } = await boot(PartnerApi);
    const tokens = await Promise.all(Array.from({ length: 10 }, () => service.call()));
    expect(service.gauge.most).toBe(3);
    expect(new Set(tokens).size).toBe(10);
    await app.close();
  });

  it('locks every key a key function returns, so opposite transfers take turns', async () => {
    @Injectable()
    class Accounts {
      readonly gauge = new Gauge();
      readonly keys: (readonly string[])[] = [];
      @Locked((from: string, to: string) => [`account:${from}`, `account:${to}`], {
        wait: 10_000,
      })
      async transfer(_from: string, _to: string): Promise<void> {
        this.keys.push(currentLock()!.keys);
        await this.gauge.hold(10);
      }
    }
    const { app, service } = await boot(Accounts);
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2 ? service.transfer('1', '2') : service.transfer('2', '1'),
      ),
    );
    expect(service.gauge.most).toBe(1);
    expect(service.keys).toHaveLength(6);
    for (const keys of service.keys) expect(keys).toEqual(['account:1', 'account:2']);
    await app.close();
  });

  it('serves waiting calls in the order they came, with fair (and the module default)', async () => {
    @Injectable()
    class Queue {
      readonly order: number[] = [];
      @Locked('queue', { wait: 10_000 })
      async run(i: number): Promise<void> {
        this.order.push(i);
        await sleep(5);
      }
    }
    const kinds: (string | undefined)[] = [];
    const recording = interceptBackend(new MemoryLockBackend(), (call, proceed) => {
      if (call.method === 'acquire') kinds.push(call.capability);
      return proceed();
    });
    const { app, service } = await boot(Queue, {
      backend: recording,
      defaults: { fair: true },
    });
    const calls: Promise<void>[] = [];
    for (let i = 0; i < 6; i++) {
      calls.push(service.run(i));
      await sleep(10);
    }
    await Promise.all(calls);
    expect(service.order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(kinds)).toEqual(new Set(['fair']));
    await app.close();
  });

  it('runs read calls side by side and a write call alone; a write inside a read is refused', async () => {
    @Injectable()
    class Catalog {
      readonly readers = new Gauge();
      writing = 0;
      overlapped = false;
      @Locked('catalog', { mode: 'read', wait: 10_000 })
      async price(): Promise<void> {
        if (this.writing > 0) this.overlapped = true;
        await this.readers.hold(20);
      }
      @Locked('catalog', { mode: 'write', wait: 10_000 })
      async rebuild(): Promise<void> {
        this.writing++;
        if (this.readers.inside > 0) this.overlapped = true;
        await sleep(10);
        this.writing--;
      }
      @Locked('catalog', { mode: 'read' })
      async priceThenRebuild(): Promise<void> {
        await this.rebuild();
      }
    }
    const { app, service } = await boot(Catalog);
    await Promise.all([
      ...Array.from({ length: 6 }, () => service.price()),
      service.rebuild(),
      ...Array.from({ length: 6 }, () => service.price()),
    ]);
    expect(service.readers.most).toBeGreaterThan(1);
    expect(service.overlapped).toBe(false);
    await expect(service.priceThenRebuild()).rejects.toMatchObject({ code: 'LOCK_UPGRADE' });
    await app.close();
  });

  it.each([
    ['permits', { permits: 2 }, /semaphores/],
    ['fair', { fair: true }, /fair locks/],
    ['mode', { mode: 'read' as const }, /read-write locks/],
  ])(
    'refuses @Locked with %s at bootstrap on a backend without it',
    async (field, options, message) => {
      @Injectable()
      class Limited {
        @Locked('limited', options)
        async run(): Promise<void> {}
      }
      const error = await boot(Limited, { backend: plainBackend() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidLockOptionsError);
      expect((error as InvalidLockOptionsError).field).toBe(field);
      expect((error as InvalidLockOptionsError).where).toBe('Limited.run');
      expect((error as Error).message).toMatch(message);
    },
  );

  it.each([
    ['permits: 0', { permits: 0 }, 'permits'],
    ['fair: "yes"', { fair: 'yes' as unknown as boolean }, 'fair'],
    ['mode: "exclusive"', { mode: 'exclusive' as unknown as 'write' }, 'mode'],
    ['mode with permits', { mode: 'read' as const, permits: 2 }, 'mode'],
  ])('refuses @Locked with %s at bootstrap', async (_, options, field) => {
    @Injectable()
    class Bad {
      @Locked('bad', options)
      async run(): Promise<void> {}
    }
    const error = await boot(Bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect((error as InvalidLockOptionsError).field).toBe(field);
    expect((error as InvalidLockOptionsError).where).toBe('Bad.run');
  });

  it('refuses a key function that returns an empty array, per call', async () => {
    @Injectable()
    class Empty {
      @Locked(() => [])
      async run(): Promise<void> {}
    }
    const { app, service } = await boot(Empty);
    await expect(service.run()).rejects.toBeInstanceOf(InvalidLockOptionsError);
    await app.close();
  });

  it('refuses a fair module default on a backend without fair locks, at bootstrap', async () => {
    @Injectable()
    class Anything {}
    const error = await boot(Anything, {
      backend: plainBackend(),
      defaults: { fair: true },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect((error as InvalidLockOptionsError).field).toBe('defaults.fair');
  });
});
