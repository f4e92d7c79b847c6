import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { LockDashboard } from '../../dashboard/lock-dashboard.js';
import { LockManager } from '../../manager/lock-manager.js';
import { dashboardController } from './dashboard.controller.js';
import { DASHBOARD_SETTINGS } from './dashboard.tokens.js';
import { dashboardAdminController } from './dashboard-admin.controller.js';
import { DashboardStreams } from './dashboard-streams.js';
import {
  type DashboardSettings,
  type LockDashboardModuleOptions,
  resolveDashboardOptions,
} from './lock-dashboard.options.js';

/**
 * A web page and a JSON API that show, live, every lock of the app's instances: holders (instance,
 * host, pid), fencing tokens, leases left, waiters, semaphore permits, leaders, `@SingletonCron`
 * ticks and which instance ran each, lost leases and renewal failures. Served under `path`
 * (default `locks`, after the app's global prefix), behind the `guard` you give; read-only unless
 * an `adminGuard` is given, which adds force-release. Needs `LockModule` (global by default).
 *
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
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest dynamic module is a class with a static forRoot().
export class LockDashboardModule {
  /** Mounts the dashboard with `options` (see {@link LockDashboardModuleOptions}). */
  static forRoot(options: LockDashboardModuleOptions): DynamicModule {
    const settings = resolveDashboardOptions(options);
    const controllers: Type[] = [dashboardController(settings.path, settings.guard)];
    if (settings.adminGuard !== undefined) {
      const guards = settings.guard === false ? [] : [settings.guard];
      controllers.push(dashboardAdminController(settings.path, [...guards, settings.adminGuard]));
    }
    return {
      module: LockDashboardModule,
      imports: options.imports ?? [],
      controllers,
      providers: [
        { provide: DASHBOARD_SETTINGS, useValue: settings },
        DashboardStreams,
        {
          provide: LockDashboard,
          useFactory: (manager: LockManager) => dashboardFor(manager, settings),
          inject: [LockManager],
        },
      ],
    };
  }
}

function dashboardFor(manager: LockManager, settings: DashboardSettings): LockDashboard {
  return new LockDashboard(manager, {
    limit: settings.limit,
    refreshMs: settings.refreshMs,
    canForceRelease: settings.adminGuard !== undefined,
  });
}
