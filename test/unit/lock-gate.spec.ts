import { describe, expect, it } from '@jest/globals';
import {
  LockManager,
  LockManagerClosedError,
  LockService,
  MemoryLockBackend,
} from '../../lib/index.js';
import { CronSchedule } from '../../lib/nest/cron-schedule.js';
import { LockInterceptor } from '../../lib/nest/lock.interceptor.js';
import { LockGate } from '../../lib/nest/lock-gate.js';
import type { LockedMethod, SingletonCronJob } from '../../lib/nest/locked-method.js';

const method = (key: string): LockedMethod => ({
  kind: 'locked',
  where: 'Orders.place',
  key: () => key,
  ttl: undefined,
  wait: undefined,
  onBusy: 'throw',
  shareFor: 0,
  fair: undefined,
  permits: undefined,
  mode: undefined,
  problem: undefined,
  lockOptions: {},
});

/** A promise and its resolve function: a call the test ends when it chooses. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('LockGate, shared by LockService and LockInterceptor', () => {
  it('counts a @Locked() call run by the interceptor as in flight, and the shutdown waits for it', async () => {
    const manager = new LockManager({ backend: new MemoryLockBackend() });
    const lockGate = new LockGate();
    const service = new LockService(manager, undefined, lockGate);
    const interceptor = new LockInterceptor(manager, lockGate);
    const started = gate();
    const finish = gate<string>();
    const call = interceptor.runLocked(method('order:1'), [], () => {
      started.open();
      return finish.promise;
    });
    await started.promise;
    expect(service.inFlight).toBe(1);
    const drained = service.drain(60_000);
    finish.open('placed');
    expect(await call).toBe('placed');
    expect(await drained).toBe(true);
    expect(service.inFlight).toBe(0);
    await manager.close();
  });

  it('refuses a new @Locked() call and a cron tick once the module drains, as LockService does', async () => {
    const manager = new LockManager({ backend: new MemoryLockBackend() });
    const lockGate = new LockGate();
    const interceptor = new LockInterceptor(manager, lockGate);
    await new LockService(manager, undefined, lockGate).drain(1_000);
    let ran = false;
    const invoke = async () => {
      ran = true;
    };
    await expect(interceptor.runLocked(method('order:2'), [], invoke)).rejects.toBeInstanceOf(
      LockManagerClosedError,
    );
    const job: SingletonCronJob = {
      kind: 'cron',
      where: 'Reports.nightly',
      name: 'nightly',
      schedule: new CronSchedule('* * * * * *'),
      ttl: undefined,
      lockAtLeastFor: 0,
      problem: undefined,
    };
    // A refused tick is logged, never thrown into the scheduler, and claims nothing.
    await interceptor.runCronTick(job, invoke);
    expect(ran).toBe(false);
    expect(await manager.isLocked('order:2')).toBe(false);
    await manager.close();
  });
});
