import {
  type DynamicModule,
  Inject,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MemoryLockBackend } from '../backends/memory/memory.backend.js';
import { InvalidLockOptionsError } from '../contract/errors.js';
import { libraryWarnings } from '../contract/library-warnings.js';
import { LockManager } from '../manager/lock-manager.js';
import { validateBoolean, validateDelay } from '../manager/validate-options.js';
import { instrumentLockManager } from '../telemetry/instrument-lock-manager.js';
import {
  type LockTelemetry,
  validateTelemetryOptions,
} from '../telemetry/lock-telemetry.options.js';
import { LeaderElector } from './leader.elector.js';
import { LockExplorer } from './lock.explorer.js';
import { LockInterceptor } from './lock.interceptor.js';
import {
  ConfigurableLockModule,
  LOCK_MODULE_OPTIONS,
  type LOCK_MODULE_OPTIONS_TYPE,
} from './lock.module-definition.js';
import { LockService } from './lock.service.js';
import { LockGate } from './lock-gate.js';
import { LockHealthIndicator } from './lock-health.indicator.js';
import { LOCK_INTERCEPTOR } from './lock-interceptor.token.js';
import type { LockModuleOptions } from './lock-module.options.js';
import { lockRuntime } from './lock-runtime.js';

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

function createManager(options: LockModuleOptions): LockManager {
  if (options === null || typeof options !== 'object') {
    throw new InvalidLockOptionsError('options', 'LockModule.forRoot() takes an options object');
  }
  shutdownTimeoutOf(options);
  refuseMemoryInProduction(options);
  if (options.logSkippedTicks !== undefined) {
    validateBoolean(options.logSkippedTicks, 'logSkippedTicks');
  }
  if (options.telemetry !== undefined && typeof options.telemetry !== 'boolean') {
    validateTelemetryOptions(options.telemetry, 'telemetry.');
  }
  return new LockManager({
    backend: options.backend ?? new MemoryLockBackend(),
    keyPrefix: options.keyPrefix,
    defaults: options.defaults,
    ...(options.detectDeadlocks === undefined ? {} : { detectDeadlocks: options.detectDeadlocks }),
    presence: options.presence ?? true,
    ...(options.instanceId === undefined ? {} : { instanceId: options.instanceId }),
  });
}

function shutdownTimeoutOf(options: LockModuleOptions): number {
  return options.shutdownTimeout === undefined
    ? DEFAULT_SHUTDOWN_TIMEOUT_MS
    : validateDelay(options.shutdownTimeout, 'shutdownTimeout');
}

/**
 * A memory backend in a production deployment is a silent bug: each instance locks only itself.
 * Refused unless the app says it is alone (`allowMemoryInProduction: true`).
 */
function refuseMemoryInProduction(options: LockModuleOptions): void {
  const allowed = options.allowMemoryInProduction;
  if (allowed !== undefined && typeof allowed !== 'boolean') {
    throw new InvalidLockOptionsError(
      'allowMemoryInProduction',
      `must be a boolean, got ${String(allowed)}`,
    );
  }
  const memory = options.backend === undefined || options.backend.name === 'memory';
  if (!memory || allowed || process.env.NODE_ENV !== 'production') return;
  throw new InvalidLockOptionsError(
    'backend',
    `${options.backend === undefined ? 'no backend was given, so locks would live in memory' : 'a memory backend was given'} while NODE_ENV=production: locks in one process's memory do not exclude your other instances. Pass backend: new RedisLockBackend({ url }) (or another shared store), or set allowMemoryInProduction: true if this app really runs as a single process`,
  );
}

/**
 * Distributed locks for a Nest app: registers one lock backend, `LockService`, `LockManager`,
 * `LockInterceptor` and (unless `exceptionFilter: false`) `LockExceptionFilter`, sends the
 * library's warnings to Nest's `Logger` (context `LockModule`), runs `@Locked()` and
 * `@SingletonCron()` methods and `@LeaderElection()`
 * campaigns, and on shutdown steps down from leadership, waits
 * (bounded) for locked calls in progress, releases every lock still held and closes the backend.
 * Global unless `isGlobal: false`.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     ScheduleModule.forRoot(),
 *     LockModule.forRoot({ backend: new RedisLockBackend({ url: process.env.REDIS_URL! }) }),
 *     // or: LockModule.forRootAsync({ inject: [ConfigService], useFactory: (config: ConfigService) =>
 *     //   ({ backend: new RedisLockBackend({ url: config.getOrThrow('REDIS_URL') }) }) }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: LockManager, useFactory: createManager, inject: [LOCK_MODULE_OPTIONS] },
    LockGate,
    LockService,
    LockInterceptor,
    { provide: LOCK_INTERCEPTOR, useExisting: LockInterceptor },
    LockExplorer,
    LeaderElector,
    LockHealthIndicator,
  ],
  // LockGate too: `@Locked()` on a controller makes the controller's module build a LockInterceptor.
  exports: [LockService, LockManager, LockGate, LockInterceptor, LockHealthIndicator],
})
export class LockModule
  extends ConfigurableLockModule
  implements OnModuleInit, OnApplicationShutdown
{
  #unrouteWarnings: (() => void) | undefined;
  #telemetry: LockTelemetry | undefined;

  constructor(
    private readonly service: LockService,
    private readonly manager: LockManager,
    private readonly interceptor: LockInterceptor,
    @Inject(LOCK_MODULE_OPTIONS) private readonly options: LockModuleOptions,
  ) {
    super();
  }

  /** Registers the module; with no options, locks live in this process's memory. */
  static override forRoot(options: typeof LOCK_MODULE_OPTIONS_TYPE = {}): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: the builder's forRoot builds `{ module: this }`; `super` keeps `this` = LockModule.
    return super.forRoot(options);
  }

  async onModuleInit(): Promise<void> {
    // The library's warnings (a Redis configuration that can lose locks, a throwing listener) go
    // to the app's log while the module runs, not to stderr beside it.
    const logger = new Logger('LockModule');
    this.#unrouteWarnings = libraryWarnings.route((message) => logger.warn(message));
    const telemetry = this.options.telemetry ?? true;
    if (telemetry !== false) {
      this.#telemetry = await instrumentLockManager(
        this.manager,
        telemetry === true ? {} : telemetry,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.service.drain(shutdownTimeoutOf(this.options));
    lockRuntime.stop(this.interceptor);
    await this.manager.close();
    this.#telemetry?.stop();
    this.#unrouteWarnings?.();
  }
}
