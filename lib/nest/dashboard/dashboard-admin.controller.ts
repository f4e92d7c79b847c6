import {
  BadRequestException,
  Body,
  type CanActivate,
  Controller,
  Get,
  Header,
  Headers,
  HttpCode,
  Inject,
  Post,
  Req,
  type Type,
  UnsupportedMediaTypeException,
  UseGuards,
} from '@nestjs/common';
import type { ForceReleaseOutcome } from '../../dashboard/dashboard-snapshot.js';
import { LockDashboard } from '../../dashboard/lock-dashboard.js';
import type { DashboardGuard } from './lock-dashboard.options.js';

/** The parts of a request the release route reads: the user a guard (such as Passport's) set. */
interface AdminRequest {
  readonly user?: unknown;
}

const MAX_KEY_LENGTH = 1024;

/**
 * The dashboard's admin routes: `POST <path>/api/locks/release` with `{ key }` force-releases every
 * hold on the key (see `LockDashboard.forceRelease`); `GET <path>/api/admin` tells the page whether
 * this user may. `LockDashboardModule.forRoot()` mounts it
 * only when an `adminGuard` is given, behind the `guard` and then the `adminGuard`.
 */
export class LockDashboardAdminController {
  constructor(@Inject(LockDashboard) private readonly dashboard: LockDashboard) {}

  /**
   * `GET <path>/api/admin`: 200 for a request both guards admit. The page asks once, and offers
   * force-release buttons only when it may use them.
   */
  @Get('api/admin')
  @Header('Cache-Control', 'no-store')
  admin(): { canForceRelease: true } {
    return { canForceRelease: true };
  }

  /**
   * Answers 200 with the {@link ForceReleaseOutcome}; 400 without a key; 415 unless the body is
   * JSON, which a cross-site HTML form cannot send (a browser asks before sending JSON elsewhere).
   */
  @Post('api/locks/release')
  @HttpCode(200)
  release(
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Req() request: AdminRequest,
  ): Promise<ForceReleaseOutcome> {
    if (!contentType?.toLowerCase().startsWith('application/json')) {
      throw new UnsupportedMediaTypeException('send the key as JSON: { "key": "..." }');
    }
    const key = (body as { key?: unknown } | undefined)?.key;
    if (typeof key !== 'string' || key === '' || key.length > MAX_KEY_LENGTH) {
      throw new BadRequestException(
        `the body must be { "key": "..." } with the lock's key (without the prefix), 1 to ${MAX_KEY_LENGTH} characters`,
      );
    }
    return this.dashboard.forceRelease(key, userOf(request));
  }
}

/** A name for who asked, from `request.user` when a guard set one. */
function userOf(request: AdminRequest): string | undefined {
  const user = request.user;
  if (typeof user === 'string') return user;
  if (user === null || typeof user !== 'object') return undefined;
  for (const field of ['username', 'name', 'email', 'id', 'sub']) {
    const value = (user as Record<string, unknown>)[field];
    if (typeof value === 'string' || typeof value === 'number') return String(value);
  }
  return undefined;
}

/**
 * A {@link LockDashboardAdminController} at `path`, behind `guards` in order (the dashboard's guard,
 * then the admin guard): both must pass.
 */
export function dashboardAdminController(
  path: string,
  guards: readonly DashboardGuard[],
): Type<LockDashboardAdminController> {
  class MountedLockDashboardAdminController extends LockDashboardAdminController {}
  Controller(path)(MountedLockDashboardAdminController);
  UseGuards(...(guards as (Type<CanActivate> | CanActivate)[]))(
    MountedLockDashboardAdminController,
  );
  return MountedLockDashboardAdminController;
}
