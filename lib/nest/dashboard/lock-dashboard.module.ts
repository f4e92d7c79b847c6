import {
  type DynamicModule,
  Module,
  type ModuleMetadata,
  type Provider,
  type Type,
} from '@nestjs/common';
import { InvalidLockOptionsError } from '../../contract/errors.js';
import { LockDashboard } from '../../dashboard/lock-dashboard.js';
import { LockManager } from '../../manager/lock-manager.js';
import { dashboardController } from './dashboard.controller.js';
import { DASHBOARD_SETTINGS } from './dashboard.tokens.js';
import { dashboardAdminController } from './dashboard-admin.controller.js';
import { DashboardStreams } from './dashboard-streams.js';
import {
  type DashboardSettings,
  type LockDashboardModuleAsyncOptions,
  type LockDashboardModuleOptions,
  resolveDashboardOptions,
  withRuntimeOptions,
} from './lock-dashboard.options.js';

/**
 * A web page and a JSON API that show, live, every lock of the app's instances: holders (instance,
 * host, pid), fencing tokens, leases left, waiters, semaphore permits, leaders, `@SingletonCron`
 * ticks and which instance ran each, lost leases and renewal failures. Served under `path`
 * (default `locks`, after the app's global prefix), behind the `guard` you give; read-only unless
 * an `adminGuard` is given, which adds force-release. Needs `LockModule` (global by default).
 *
 * `forRootAsync()` takes the path and guards the same way, and the rest from a factory.
 * Options are checked here: a missing guard, `guard: false` when `NODE_ENV=production`, or any bad
 * option throws an `InvalidLockOptionsError` naming it.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     LockModule.forRoot({ backend: new RedisLockBackend({ url: process.env.REDIS_URL! }) }),
 *     LockDashboardModule.forRoot({ guard: OperatorsGuard, adminGuard: AdminsGuard }),
 *   ],
 * })
 * export class AppModule {}
 * // open http://localhost:3000/locks
 * ```
 */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest dynamic module is a class with static forRoot() / forRootAsync().
export class LockDashboardModule {
  /** Mounts the dashboard with `options` (see {@link LockDashboardModuleOptions}). */
  static forRoot(options: LockDashboardModuleOptions): DynamicModule {
    const settings = resolveDashboardOptions(options);
    return dashboardModule(settings, options.imports, {
      provide: DASHBOARD_SETTINGS,
      useValue: settings,
    });
  }

  /**
   * Mounts the dashboard with `path` and the guards given here, and the refresh interval, limit
   * and title that `useFactory` returns at bootstrap (see {@link LockDashboardModuleAsyncOptions}).
   */
  static forRootAsync(options: LockDashboardModuleAsyncOptions): DynamicModule {
    const { inject, useFactory, ...moduleOptions } = options ?? ({} as Partial<typeof options>);
    if (typeof useFactory !== 'function') {
      throw new InvalidLockOptionsError(
        'useFactory',
        'LockDashboardModule.forRootAsync() needs a useFactory that returns { refreshInterval, limit, title } (or use forRoot())',
      );
    }
    const settings = resolveDashboardOptions(moduleOptions);
    const factory = useFactory as (...args: unknown[]) => unknown;
    return dashboardModule(settings, moduleOptions.imports, {
      provide: DASHBOARD_SETTINGS,
      inject: inject ?? [],
      useFactory: async (...args: unknown[]) =>
        withRuntimeOptions(settings, await factory(...args)),
    });
  }
}

/** The module: its controllers at the path behind the guards, the settings and the dashboard. */
function dashboardModule(
  settings: DashboardSettings,
  imports: ModuleMetadata['imports'],
  settingsProvider: Provider,
): DynamicModule {
  const controllers: Type[] = [dashboardController(settings.path, settings.guard)];
  if (settings.adminGuard !== undefined) {
    const guards = settings.guard === false ? [] : [settings.guard];
    controllers.push(dashboardAdminController(settings.path, [...guards, settings.adminGuard]));
  }
  return {
    module: LockDashboardModule,
    imports: imports ?? [],
    controllers,
    providers: [
      settingsProvider,
      DashboardStreams,
      {
        provide: LockDashboard,
        useFactory: (manager: LockManager, resolved: DashboardSettings) =>
          new LockDashboard(manager, {
            limit: resolved.limit,
            refreshMs: resolved.refreshMs,
            canForceRelease: resolved.adminGuard !== undefined,
          }),
        inject: [LockManager, DASHBOARD_SETTINGS],
      },
    ],
  };
}
