import type { LockDashboardModuleOptions } from 'nestjs-locker';
import type { AppConfig } from '../config/app-config.js';
import { DashboardTokenGuard } from './dashboard-token.guard.js';

/**
 * The lock dashboard at `/locks`: behind `DASHBOARD_TOKEN` (the Basic password, any user name);
 * force-release for the user `admin` with `DASHBOARD_ADMIN_TOKEN`, when that is set. Without a
 * token the page is unguarded, which `LockDashboardModule` refuses when `NODE_ENV=production`.
 */
export function dashboardOptionsFor(config: AppConfig): LockDashboardModuleOptions {
  return {
    path: 'locks',
    title: `Locks of the sample shop (${config.lockStore})`,
    guard: config.dashboardToken ? new DashboardTokenGuard(config.dashboardToken) : false,
    ...(config.dashboardAdminToken
      ? { adminGuard: new DashboardTokenGuard(config.dashboardAdminToken, 'admin') }
      : {}),
  };
}
