import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import {
  InvalidLockOptionsError,
  type LockBackend,
  LockDeadlockError,
  Locked,
  type LockedOptions,
  MemoryLockBackend,
  SharedRunFailedError,
} from '../../../lib/index.js';
import { interceptBackend } from '../../../lib/testing/index.js';
import { sleep } from '../../support/async.js';
import { bootWithLocks } from '../../support/nest-context.js';
import { plainBackend } from '../../support/plain-backend.js';

/** A view of one store for each app, as two instances would have; closing one keeps the store. */
const view = (store: LockBackend): LockBackend =>
  interceptBackend(store, (call, proceed) =>
    call.method === 'close' ? Promise.resolve() : proceed(),
  );

const boot = bootWithLocks;

class CatalogDown extends Error {
  readonly code = 'CATALOG_DOWN';
}

@Injectable()
class Catalog {
  runs = 0;
  fail = false;

  @Locked('catalog:rebuild', { onBusy: 'share' })
  async rebuild(): Promise<{ items: number; builtAt: Date }> {
    this.runs++;
    await sleep(300);
    if (this.fail) throw new CatalogDown('catalog service unavailable');
    return { items: 42, builtAt: new Date(0) };
  }
}

@Injectable()
class Accounts {
  @Locked('account:{0}', { wait: 20_000 })
  async transfer(_from: string, to: string, started: () => Promise<void>): Promise<string> {
    await started();
    return this.credit(to);
  }

  @Locked('account:{0}', { wait: 20_000 })
  async credit(to: string): Promise<string> {
    return `credited ${to}`;
  }
}

describe("@Locked({ onBusy: 'share' }) and deadlocks between instances", () => {
  it('merges racing calls on two instances into one run whose result all 16 get', async () => {
    const store = new MemoryLockBackend();
    const one = await boot(Catalog, { backend: view(store) });
    const two = await boot(Catalog, { backend: view(store) });
    const calls = [one, two].flatMap(({ service }) =>
      Array.from({ length: 8 }, () => service.rebuild()),
    );
    const results = await Promise.all(calls);
    expect(one.service.runs + two.service.runs).toBe(1);
    for (const result of results) {
      expect(result).toEqual({ items: 42, builtAt: new Date(0).toISOString() });
    }
    await Promise.all([one.app.close(), two.app.close()]);
  });

  it("shares a run's failure: its instance gets the error, the other SharedRunFailedError", async () => {
    const store = new MemoryLockBackend();
    const one = await boot(Catalog, { backend: view(store) });
    const two = await boot(Catalog, { backend: view(store) });
    one.service.fail = true;
    const running = one.service.rebuild();
    await sleep(50);
    const waiting = two.service.rebuild();
    await expect(running).rejects.toBeInstanceOf(CatalogDown);
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SharedRunFailedError);
    expect(error).toMatchObject({
      originalCode: 'CATALOG_DOWN',
      originalMessage: 'catalog service unavailable',
    });
    expect(two.service.runs).toBe(0);
    await Promise.all([one.app.close(), two.app.close()]);
  });

  it('resolves opposite nested transfers on two instances: one LockDeadlockError, one transfer', async () => {
    const store = new MemoryLockBackend();
    const one = await boot(Accounts, { backend: view(store) });
    const two = await boot(Accounts, { backend: view(store) });
    let holding = 0;
    let bothHold: () => void = () => undefined;
    const both = new Promise<void>((resolve) => {
      bothHold = resolve;
    });
    const started = (): Promise<void> => {
      if (++holding === 2) bothHold();
      return both;
    };
    const outcomes = await Promise.allSettled([
      one.service.transfer('A', 'B', started),
      two.service.transfer('B', 'A', started),
    ]);
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(failed).toHaveLength(1);
    const error = (failed[0] as PromiseRejectedResult).reason as LockDeadlockError;
    expect(error).toBeInstanceOf(LockDeadlockError);
    expect([...error.cycle].sort()).toEqual(['account:A', 'account:B']);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    await Promise.all([one.app.close(), two.app.close()]);
  });

  it.each([
    [{ onBusy: 'share', permits: 2 }, 'permits'],
    [{ onBusy: 'share', mode: 'read' }, 'mode'],
    [{ onBusy: 'share', fair: true }, 'fair'],
    [{ shareFor: '2s' }, 'shareFor'],
    [{ onBusy: 'share', shareFor: -1 }, 'shareFor'],
    [{ onBusy: 'merge' }, 'onBusy'],
  ] as [LockedOptions, string][])('refuses %j at bootstrap, naming %s', async (options, field) => {
    @Injectable()
    class Bad {
      @Locked('bad', options)
      async run(): Promise<void> {}
    }
    const error = await boot(Bad, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect((error as InvalidLockOptionsError).field).toBe(field);
    expect((error as InvalidLockOptionsError).where).toBe('Bad.run');
  });

  it("refuses onBusy: 'share' at bootstrap on a backend that cannot keep results", async () => {
    const error = await boot(Catalog, { backend: plainBackend() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect((error as InvalidLockOptionsError).field).toBe('onBusy');
    expect((error as Error).message).toContain('plain backend cannot keep the results');
  });

  it("refuses a key function returning several keys with onBusy: 'share', per call", async () => {
    @Injectable()
    class Several {
      @Locked(() => ['a', 'b'], { onBusy: 'share' })
      async run(): Promise<number> {
        return 1;
      }
    }
    const { app, service } = await boot(Several, {});
    await expect(service.run()).rejects.toBeInstanceOf(InvalidLockOptionsError);
    await app.close();
  });
});
