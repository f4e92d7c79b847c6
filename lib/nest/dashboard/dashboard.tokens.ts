/**
 * The injection token of the dashboard's checked options (`DashboardSettings`), which its
 * controllers read.
 */
export const DASHBOARD_SETTINGS = Symbol('LockDashboardSettings');
