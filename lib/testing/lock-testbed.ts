import { MemoryLockBackend } from '../backends/memory/memory.backend.js';
import { InvalidLockOptionsError, LockBackendError } from '../contract/errors.js';
import type { LockBackend } from '../contract/lock-backend.js';
import { LockManager } from '../manager/lock-manager.js';
import type { LockManagerOptions } from '../manager/lock-options.js';
import { LOCK_MODULE_OPTIONS } from '../nest/lock.module-definition.js';
import type { LockModuleOptions } from '../nest/lock-module.options.js';
import { interceptBackend } from './intercept-backend.js';
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
  readonly #links = new WeakMap<LockBackend, { isolated: boolean }>();

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
    const link = { isolated: false };
    // While isolated, every call fails as a call to an unreachable store would.
    // Every call of the view, to the mutex or a capability, fails while the link is cut.
    const view = interceptBackend(store, (call, proceed) => {
      if (call.method === 'close') return Promise.resolve();
      if (!link.isolated) return proceed();
      return Promise.reject(
        new LockBackendError(store.name, call.method, call.key, 'isolated by the LockTestbed'),
      );
    });
    this.#links.set(view, link);
    return view;
  }

  /**
   * Cuts one instance off the shared store, as a network partition or a frozen process would:
   * every call it makes fails with `LockBackendError`, so its renewals fail, its leases run out on
   * the store's clock, the other instances take over, and its locks' signals abort at their
   * deadlines. Its calls already in the store are not undone. Pass the instance's `LockManager`
   * (`app.get(LockManager)`) or a backend from {@link backend}.
   */
  isolate(instance: LockManager | LockBackend): void {
    this.#link(instance).isolated = true;
  }

  /** Reconnects an instance cut off by {@link isolate}. */
  reconnect(instance: LockManager | LockBackend): void {
    this.#link(instance).isolated = false;
  }

  #link(instance: LockManager | LockBackend): { isolated: boolean } {
    const backend = instance instanceof LockManager ? instance.backend : instance;
    const link = this.#links.get(backend);
    if (!link) {
      throw new InvalidLockOptionsError(
        'instance',
        'is not an instance of this LockTestbed (create it with testbed.instance(), manager() or backend())',
      );
    }
    return link;
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
