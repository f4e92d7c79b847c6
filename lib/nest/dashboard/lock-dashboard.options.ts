import type { CanActivate, FactoryProvider, ModuleMetadata, Type } from '@nestjs/common';
import { InvalidLockOptionsError, refuseUnknownOptions } from '../../contract/errors.js';
import type { Duration } from '../../manager/duration.js';
import { validateTtl } from '../../manager/validate-options.js';

/** A Nest guard as `@UseGuards()` takes it: a class (built by Nest's injector) or an instance. */
export type DashboardGuard = Type<CanActivate> | CanActivate;

/**
 * Options of `LockDashboardModule.forRoot()`.
 *
 * @example
 * ```ts
 * LockDashboardModule.forRoot({ path: 'ops/locks', guard: AdminSessionGuard, refreshInterval: '2s' });
 * ```
 */
export interface LockDashboardModuleOptions {
  /**
   * Where the page and its API are served, under the app's global prefix. Default `'locks'`.
   * Letters, digits and `-._~/` only; leading and trailing slashes are ignored.
   */
  path?: string;
  /**
   * Who may see the dashboard: a guard class (its dependencies must be visible to the dashboard's
   * module: global, or listed in `imports`) or a guard instance. Required: `false` serves the page
   * to anyone, and is refused when `NODE_ENV=production`.
   */
  guard: DashboardGuard | false;
  /**
   * Who may force-release a lock. Without it the dashboard is read-only: the release route does
   * not exist. A release request passes `guard` first, then this guard.
   */
  adminGuard?: DashboardGuard;
  /** How often the page is refreshed, in ms or as a duration string. Default 1 000 (`'1s'`). */
  refreshInterval?: Duration;
  /** At most this many leases are listed per snapshot. Default 1 000. */
  limit?: number;
  /** The page's title and heading. Default `'Locks'`. */
  title?: string;
  /** Modules the guards' dependencies come from, when they are not global. */
  imports?: ModuleMetadata['imports'];
}

/** The options `forRootAsync()`'s factory returns: those that may come from configuration. */
export type LockDashboardRuntimeOptions = Pick<
  LockDashboardModuleOptions,
  'refreshInterval' | 'limit' | 'title'
>;

/**
 * Options of `LockDashboardModule.forRootAsync()`: the path and the guards shape the module's
 * routes, so they are given here; `useFactory` (with `inject`) returns the rest.
 *
 * @example
 * ```ts
 * LockDashboardModule.forRootAsync({
 *   guard: OperatorsGuard,
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ refreshInterval: config.get('LOCKS_REFRESH') }),
 * });
 * ```
 */
export interface LockDashboardModuleAsyncOptions
  extends Pick<LockDashboardModuleOptions, 'path' | 'guard' | 'adminGuard' | 'imports'> {
  /** Providers handed to `useFactory`, in order. */
  inject?: FactoryProvider['inject'];
  /** Returns `refreshInterval`, `limit` and `title` (each optional), or a promise of them. */
  useFactory: (
    ...args: never[]
  ) => LockDashboardRuntimeOptions | Promise<LockDashboardRuntimeOptions>;
}

/** The options once checked, with their defaults. */
export interface DashboardSettings {
  readonly path: string;
  readonly guard: DashboardGuard | false;
  readonly adminGuard: DashboardGuard | undefined;
  readonly refreshMs: number;
  readonly limit: number;
  readonly title: string;
}

const DEFAULT_PATH = 'locks';
const DEFAULT_REFRESH_MS = 1_000;
const DEFAULT_LIMIT = 1_000;
const DEFAULT_TITLE = 'Locks';
/** Below this the page would hammer the store on every instance's behalf. */
const MIN_REFRESH_MS = 100;
const MAX_LIMIT = 100_000;
const MAX_TITLE_LENGTH = 200;
const PATH = /^[A-Za-z0-9\-._~]+(?:\/[A-Za-z0-9\-._~]+)*$/;
const KNOWN = new Set([
  'path',
  'guard',
  'adminGuard',
  'refreshInterval',
  'limit',
  'title',
  'imports',
]);

/**
 * Checks `LockDashboardModule.forRoot()`'s options; throws an `InvalidLockOptionsError` naming the
 * first bad one. `production` is whether `NODE_ENV=production` (a parameter, for the tests).
 */
export function resolveDashboardOptions(
  options: unknown,
  production = process.env.NODE_ENV === 'production',
): DashboardSettings {
  if (options === null || typeof options !== 'object') {
    throw new InvalidLockOptionsError(
      'options',
      'LockDashboardModule.forRoot() takes an options object with a guard: forRoot({ guard: YourGuard })',
    );
  }
  const given = options as Record<string, unknown>;
  refuseUnknownOptions(given, KNOWN, 'LockDashboardModule.forRoot()');
  const adminGuard =
    given.adminGuard === undefined ? undefined : guardOf(given.adminGuard, 'adminGuard');
  if (given.imports !== undefined && !Array.isArray(given.imports)) {
    throw new InvalidLockOptionsError(
      'imports',
      `must be an array of modules, got ${describe(given.imports)}`,
    );
  }
  return {
    path: pathOf(given.path),
    guard: mainGuardOf(given, production),
    adminGuard,
    refreshMs: refreshOf(given.refreshInterval),
    limit: limitOf(given.limit),
    title: titleOf(given.title),
  };
}

const RUNTIME = new Set(['refreshInterval', 'limit', 'title']);

/**
 * `settings` with what `forRootAsync()`'s factory returned; throws an `InvalidLockOptionsError`
 * naming a bad option, or one the factory may not set.
 */
export function withRuntimeOptions(
  settings: DashboardSettings,
  runtime: unknown,
): DashboardSettings {
  if (runtime === null || typeof runtime !== 'object') {
    throw new InvalidLockOptionsError(
      'useFactory',
      `must return an object of refreshInterval, limit and title, got ${describe(runtime)}`,
    );
  }
  const given = runtime as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!RUNTIME.has(name)) {
      throw new InvalidLockOptionsError(
        name,
        'is not an option the forRootAsync() factory may return (it returns refreshInterval, limit and title); give path, guard and adminGuard to forRootAsync() itself',
      );
    }
  }
  return {
    ...settings,
    refreshMs: refreshOf(given.refreshInterval),
    limit: limitOf(given.limit),
    title: titleOf(given.title),
  };
}

function mainGuardOf(given: Record<string, unknown>, production: boolean): DashboardGuard | false {
  if (!('guard' in given) || given.guard === undefined) {
    throw new InvalidLockOptionsError(
      'guard',
      'is required: the dashboard shows every lock holder, host and pid of your app. Pass a Nest guard (class or instance) that admits your operators, or guard: false to serve it unguarded in development (refused when NODE_ENV=production)',
    );
  }
  if (given.guard === false) {
    if (production) {
      throw new InvalidLockOptionsError(
        'guard',
        'is false (no guard) while NODE_ENV=production: anyone who reaches the app would see every lock holder, host and pid. Pass a Nest guard that admits your operators',
      );
    }
    return false;
  }
  return guardOf(given.guard, 'guard');
}

function guardOf(value: unknown, field: string): DashboardGuard {
  const isClass = typeof value === 'function';
  const isInstance =
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Partial<CanActivate>).canActivate === 'function';
  if (!isClass && !isInstance) {
    throw new InvalidLockOptionsError(
      field,
      `must be a Nest guard: a class implementing CanActivate or an object with a canActivate() method, got ${typeof value === 'object' && value !== null ? 'an object without canActivate()' : describe(value)}`,
    );
  }
  return value as DashboardGuard;
}

function pathOf(value: unknown): string {
  if (value === undefined) return DEFAULT_PATH;
  const path = typeof value === 'string' ? value.replace(/^\/+|\/+$/g, '') : undefined;
  if (path === undefined || !PATH.test(path)) {
    throw new InvalidLockOptionsError(
      'path',
      `must be a URL path of letters, digits and -._~ segments separated by /, such as 'locks' or 'ops/locks', got ${describe(value)}`,
    );
  }
  return path;
}

function refreshOf(value: unknown): number {
  if (value === undefined) return DEFAULT_REFRESH_MS;
  const ms = validateTtl(value, 'refreshInterval');
  if (ms < MIN_REFRESH_MS) {
    throw new InvalidLockOptionsError(
      'refreshInterval',
      `must be at least ${MIN_REFRESH_MS} ms: each refresh lists the store, got ${describe(value)}`,
    );
  }
  return ms;
}

function limitOf(value: unknown): number {
  if (value === undefined) return DEFAULT_LIMIT;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw new InvalidLockOptionsError(
      'limit',
      `must be a whole number from 1 to ${MAX_LIMIT}, got ${describe(value)}`,
    );
  }
  return value;
}

function titleOf(value: unknown): string {
  if (value === undefined) return DEFAULT_TITLE;
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_TITLE_LENGTH) {
    throw new InvalidLockOptionsError(
      'title',
      `must be a non-empty string of at most ${MAX_TITLE_LENGTH} characters, got ${describe(value)}`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
