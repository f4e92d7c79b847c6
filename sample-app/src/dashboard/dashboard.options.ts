import type { LockDashboardModuleOptions } from 'nestjs-locker';
import type { AppConfig } from '../config/app-config.js';
import { type DashboardLogin, DashboardTokenGuard } from './dashboard-token.guard.js';

/**
 * The lock dashboard at `/locks`, behind HTTP Basic: any user name with `DASHBOARD_TOKEN` may
 * look; the user `admin` with `DASHBOARD_ADMIN_TOKEN` (when set) may look and force-release.
 * Without either token the page is unguarded, which `LockDashboardModule` refuses when
 * `NODE_ENV=production`.
 */
export function dashboardOptionsFor(config: AppConfig): LockDashboardModuleOptions {
  const admin: DashboardLogin[] = config.dashboardAdminToken
    ? [{ user: 'admin', password: config.dashboardAdminToken }]
    : [];
  const viewers: DashboardLogin[] = [
    ...(config.dashboardToken ? [{ password: config.dashboardToken }] : []),
    ...admin,
  ];
  return {
    path: 'locks',
    title: `Locks of the sample shop (${config.lockStore})`,
    guard: viewers.length > 0 ? new DashboardTokenGuard(viewers) : false,
    ...(admin.length > 0 ? { adminGuard: new DashboardTokenGuard(admin, false) } : {}),
  };
}
