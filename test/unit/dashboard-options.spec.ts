import { describe, expect, it } from '@jest/globals';
import type { CanActivate } from '@nestjs/common';
import { InvalidLockOptionsError } from '../../lib/contract/errors.js';
import {
  resolveDashboardOptions,
  withRuntimeOptions,
} from '../../lib/nest/dashboard/lock-dashboard.options.js';

class AllowGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** The `InvalidLockOptionsError` that resolving `options` throws. */
function refusal(options: unknown, production = false): InvalidLockOptionsError {
  try {
    resolveDashboardOptions(options, production);
  } catch (error) {
    if (error instanceof InvalidLockOptionsError) return error;
    throw error;
  }
  throw new Error('the options were accepted');
}

describe('LockDashboardModule.forRoot() options', () => {
  it('fills in the defaults around a guard', () => {
    expect(resolveDashboardOptions({ guard: AllowGuard })).toEqual({
      path: 'locks',
      guard: AllowGuard,
      adminGuard: undefined,
      refreshMs: 1_000,
      limit: 1_000,
      title: 'Locks',
    });
  });

  it('takes a guard instance, a duration string and a path with slashes around it', () => {
    const guard = new AllowGuard();
    const settings = resolveDashboardOptions({
      guard,
      adminGuard: AllowGuard,
      path: '/ops/locks/',
      refreshInterval: '2s',
      limit: 10,
      title: 'Shop locks',
    });
    expect(settings).toMatchObject({ guard, path: 'ops/locks', refreshMs: 2_000, limit: 10 });
  });

  it('refuses a missing guard, saying to pass one or false for development', () => {
    const error = refusal({});
    expect(error.field).toBe('guard');
    expect(error.message).toMatch(/Pass a Nest guard/);
    expect(error.message).toMatch(/guard: false/);
    expect(refusal(undefined).field).toBe('options');
  });

  it('takes guard: false in development and refuses it when NODE_ENV=production', () => {
    expect(resolveDashboardOptions({ guard: false }, false).guard).toBe(false);
    const error = refusal({ guard: false }, true);
    expect(error.field).toBe('guard');
    expect(error.message).toMatch(/NODE_ENV=production/);
  });

  it.each([
    [{ guard: true }, 'guard'],
    [{ guard: {} }, 'guard'],
    [{ guard: 'yes' }, 'guard'],
    [{ guard: AllowGuard, adminGuard: false }, 'adminGuard'],
    [{ guard: AllowGuard, adminGuard: { canActivate: 1 } }, 'adminGuard'],
    [{ guard: AllowGuard, path: '' }, 'path'],
    [{ guard: AllowGuard, path: 'a b' }, 'path'],
    [{ guard: AllowGuard, path: 'locks?x=1' }, 'path'],
    [{ guard: AllowGuard, path: 'a//b' }, 'path'],
    [{ guard: AllowGuard, path: 7 }, 'path'],
    [{ guard: AllowGuard, refreshInterval: 0 }, 'refreshInterval'],
    [{ guard: AllowGuard, refreshInterval: 50 }, 'refreshInterval'],
    [{ guard: AllowGuard, refreshInterval: 'soon' }, 'refreshInterval'],
    [{ guard: AllowGuard, limit: 0 }, 'limit'],
    [{ guard: AllowGuard, limit: 1.5 }, 'limit'],
    [{ guard: AllowGuard, limit: '10' }, 'limit'],
    [{ guard: AllowGuard, title: '' }, 'title'],
    [{ guard: AllowGuard, title: 3 }, 'title'],
    [{ guard: AllowGuard, imports: {} }, 'imports'],
    [{ guard: AllowGuard, refresh: 1000 }, 'refresh'],
  ])('refuses %p, naming %s', (options, field) => {
    const error = refusal(options);
    expect(error.field).toBe(field);
    expect(error.code).toBe('INVALID_LOCK_OPTIONS');
  });

  it("takes forRootAsync()'s factory result for the refresh, limit and title only", () => {
    const base = resolveDashboardOptions({ guard: AllowGuard, path: 'ops' });
    expect(withRuntimeOptions(base, { refreshInterval: '3s', title: 'Ops' })).toEqual({
      ...base,
      refreshMs: 3_000,
      title: 'Ops',
    });
    expect(withRuntimeOptions(base, {})).toEqual(base);
  });

  it.each([
    [null, 'useFactory'],
    [{ path: 'elsewhere' }, 'path'],
    [{ guard: false }, 'guard'],
    [{ limit: -1 }, 'limit'],
  ])("refuses %p from forRootAsync()'s factory, naming %s", (runtime, field) => {
    const base = resolveDashboardOptions({ guard: AllowGuard });
    let error: unknown;
    try {
      withRuntimeOptions(base, runtime);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect((error as InvalidLockOptionsError).field).toBe(field);
  });
});
