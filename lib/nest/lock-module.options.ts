import type { LockBackend } from '../contract/lock-backend.js';
import type { Duration } from '../manager/duration.js';
import type { LockDefaults, PresenceOptions } from '../manager/lock-options.js';
import type { LockTelemetryOptions } from '../telemetry/lock-telemetry.options.js';

/** Options of `LockModule.forRoot()` / `forRootAsync()`. */
export interface LockModuleOptions {
  /**
   * The store. Default: a `MemoryLockBackend`, which only coordinates one process: fine for tests
   * and single-instance apps, wrong for several instances. With `NODE_ENV=production` a memory
   * backend (the default one or one passed here) is refused unless `allowMemoryInProduction`.
   */
  backend?: LockBackend;
  /**
   * Let a memory backend run when `NODE_ENV=production`. Off by default, because locks in one
   * process's memory do not exclude the other instances of a deployment: set it only for an app
   * that really runs as a single process. Default `false`.
   */
  allowMemoryInProduction?: boolean;
  /** Prepended to every key in the store. Default `'locker:'`. */
  keyPrefix?: string;
  /**
   * Defaults for every lock: `ttl` (default 30 000 ms) and `wait` (default 0), in ms or as duration
   * strings (`'30s'`).
   */
  defaults?: LockDefaults;
  /**
   * Detect deadlocks between locked calls across instances (see `LockDeadlockError`). Default: on
   * where the backend offers it (memory, Redis on one server or Sentinel, Postgres); `true` on a
   * backend without it fails at startup; `false` turns it off.
   */
  detectDeadlocks?: boolean;
  /**
   * On shutdown, how long to wait for locked calls still running before their locks are released
   * anyway, in ms or as a duration string (`'15s'`). Default 10 000.
   */
  shutdownTimeout?: Duration;
  /**
   * Log each `@SingletonCron()` tick an instance skips (claimed by another instance, or the
   * previous run still going) at debug level, through Nest's `Logger` (context `LockModule`).
   * Default `false`: every instance but one skips every tick, so these lines are noise.
   */
  logSkippedTicks?: boolean;
  /**
   * OpenTelemetry metrics and spans of this module's locks (see `instrumentLockManager()`), when
   * `@opentelemetry/api` is installed; nothing happens without it. `false` switches them off; an
   * object sets `metrics`, `traces` and the `keyPattern` label. Default `true`.
   */
  telemetry?: boolean | LockTelemetryOptions;
  /**
   * This instance's record in the store, for the lock dashboard (`LockDashboardModule`): what it
   * holds and waits for, its recent lost leases and cron ticks, renewed every `interval` (default
   * 2 s) and gone within three intervals of the instance dying. Written only on a backend that can
   * list (`backend.directory`). `false` switches it off; an object sets `appName` (default the
   * package name) and `interval`. Default `true`.
   */
  presence?: boolean | PresenceOptions;
  /**
   * This instance's id, the start of every owner token it makes (see `LockManagerOptions`).
   * Default: 12 random hex characters per start.
   */
  instanceId?: string;
}
