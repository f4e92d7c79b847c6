import type { LockBackend } from '../backends/lock-backend.js';
import type { LockDefaults } from '../core/lock-options.js';

/** Options of `LockModule.forRoot()` / `forRootAsync()`. */
export interface LockModuleOptions {
  /**
   * The store. Default: a `MemoryLockBackend`, which only coordinates one process: fine for tests
   * and single-instance apps, wrong for several instances.
   */
  backend?: LockBackend;
  /** Prepended to every key in the store. Default `'locker:'`. */
  keyPrefix?: string;
  /** Defaults for every lock: `ttl` (ms, default 30 000) and `wait` (ms, default 0). */
  defaults?: LockDefaults;
  /**
   * On shutdown, how long to wait for locked calls still running before their locks are released
   * anyway, in ms. Default 10 000.
   */
  shutdownTimeout?: number;
}
