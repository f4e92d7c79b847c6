import type { LockBackend } from '../backends/lock-backend.js';
import { MemoryLockBackend } from '../backends/memory/memory.backend.js';
import { LockManager } from '../core/lock-manager.js';
import type { LockManagerOptions } from '../core/lock-options.js';
import { LOCK_MODULE_OPTIONS } from '../nest/lock.module-definition.js';
import type { LockModuleOptions } from '../nest/lock-module.options.js';
import type { ManualClock } from './manual-clock.js';

/** Options of {@link LockTestbed}. */
export interface LockTestbedOptions {
  /**
   * Drive every instance's time by hand: the shared store expires leases, and each instance renews,
   * waits and names cron ticks, on this clock. Default: real time.
   */
  clock?: ManualClock;
}

/**
 * The part of `@nestjs/testing`'s `TestingModuleBuilder` the testbed uses (typed structurally, so
 * this entry point does not import `@nestjs/testing`).
 */
export interface OverridableTestingModule<B> {
  overrideProvider(token: unknown): {
    useFactory(options: {
      factory: (options: LockModuleOptions) => LockManager;
      inject: unknown[];
    }): B;
  };
}

/**
 * Several instances of your app in one test process, coordinating through one shared in-memory
 * lock store, as pods share Redis: every instance's `LockModule` is pointed at the testbed's store
 * (keeping your `keyPrefix` and `defaults`), so `@SingletonCron`, `@Locked` and `@LeaderElection`
 * behave across them as they would across processes. With a {@link ManualClock}, time moves only
 * when the test advances it.
 *
 * @example
 * ```ts
 * const testbed = new LockTestbed({ clock: new ManualClock() });
 * const [a, b] = await Promise.all(
 *   [1, 2].map(async () => {
 *     const moduleRef = await testbed.instance(Test.createTestingModule({ imports: [AppModule] })).compile();
 *     return moduleRef.createNestApplication().init();
 *   }),
 * );
 * ```
 */
export class LockTestbed {
  /** The store every instance shares. */
  readonly store: MemoryLockBackend;
  /** The testbed's clock, when time is driven by hand. */
  readonly clock: ManualClock | undefined;

  constructor(options: LockTestbedOptions = {}) {
    this.clock = options.clock;
    this.store = new MemoryLockBackend(this.clock ? { clock: this.clock } : {});
  }

  /**
   * A backend for one instance, on the shared store. Closing it (as its manager does on shutdown)
   * leaves the store open for the other instances.
   */
  backend(): LockBackend {
    const store = this.store;
    return {
      name: store.name,
      acquire: (key, owner, ttlMs) => store.acquire(key, owner, ttlMs),
      extend: (leases) => store.extend(leases),
      release: (key, owner) => store.release(key, owner),
      inspect: (key) => store.inspect(key),
      subscribe: (key, onRelease) => store.subscribe(key, onRelease),
      close: async () => {},
    };
  }

  /** A `LockManager` for one instance without Nest, on the shared store and the testbed's clock. */
  manager(options: Omit<LockManagerOptions, 'backend' | 'clock'> = {}): LockManager {
    return new LockManager({
      ...options,
      backend: this.backend(),
      ...(this.clock ? { clock: this.clock } : {}),
    });
  }

  /**
   * Points one Nest instance at the shared store: overrides `LockManager` in a testing module
   * (`Test.createTestingModule(...)`), keeping the `keyPrefix` and `defaults` your `LockModule`
   * options give. The backend those options name is closed unused, so the test opens no connection.
   * Call it once per instance, on a fresh builder each time.
   */
  instance<B>(builder: OverridableTestingModule<B>): B {
    return builder.overrideProvider(LockManager).useFactory({
      factory: (options: LockModuleOptions) => {
        void options?.backend?.close().catch(() => undefined);
        return this.manager({ keyPrefix: options?.keyPrefix, defaults: options?.defaults });
      },
      inject: [LOCK_MODULE_OPTIONS],
    });
  }

  /** Closes the shared store. Close the instances first. */
  close(): Promise<void> {
    return this.store.close();
  }
}
