import {
  type CanActivate,
  Controller,
  Get,
  Header,
  Inject,
  type MessageEvent,
  Req,
  Sse,
  type Type,
  UseGuards,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { DashboardSnapshot } from '../../dashboard/dashboard-snapshot.js';
import { LockDashboard } from '../../dashboard/lock-dashboard.js';
import { DASHBOARD_SETTINGS } from './dashboard.tokens.js';
import { dashboardEvents } from './dashboard-events.js';
import { DASHBOARD_CSP, renderDashboardPage } from './dashboard-page.js';
import { DASHBOARD_SCRIPT_JS } from './dashboard-script.js.js';
import { DashboardStreams, type StreamSocket } from './dashboard-streams.js';
import { DASHBOARD_STYLE_CSS } from './dashboard-style.css.js';
import type { DashboardGuard, DashboardSettings } from './lock-dashboard.options.js';

/** The parts of an Express or Fastify request the routes read. */
interface PageRequest {
  readonly originalUrl?: string;
  readonly url: string;
  readonly socket?: StreamSocket;
  readonly raw?: { readonly socket?: StreamSocket };
}

/**
 * The dashboard's read-only routes: the page, its script and sheet, the snapshot and the event
 * stream. `LockDashboardModule.forRoot()` mounts a subclass at its `path`, behind its `guard`
 * (see {@link dashboardController}).
 */
export class LockDashboardController {
  constructor(
    @Inject(LockDashboard) private readonly dashboard: LockDashboard,
    @Inject(DASHBOARD_SETTINGS) private readonly settings: DashboardSettings,
    @Inject(DashboardStreams) private readonly streams: DashboardStreams,
  ) {}

  /** `GET <path>`: the page, under a Content-Security-Policy that admits no inline script. */
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', DASHBOARD_CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('Cache-Control', 'no-store')
  page(@Req() request: PageRequest): string {
    return renderDashboardPage({
      requestPath: request.originalUrl ?? request.url,
      title: this.settings.title,
      refreshMs: this.settings.refreshMs,
    });
  }

  /** `GET <path>/assets/dashboard.js`. */
  @Get('assets/dashboard.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'no-cache')
  script(): string {
    return DASHBOARD_SCRIPT_JS;
  }

  /** `GET <path>/assets/dashboard.css`. */
  @Get('assets/dashboard.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'no-cache')
  style(): string {
    return DASHBOARD_STYLE_CSS;
  }

  /** `GET <path>/api/snapshot`: the current {@link DashboardSnapshot} as JSON. */
  @Get('api/snapshot')
  @Header('Cache-Control', 'no-store')
  snapshot(): Promise<DashboardSnapshot> {
    return this.dashboard.snapshot();
  }

  /**
   * `GET <path>/api/events`: server-sent `snapshot` events (see `dashboardEvents`), until the
   * client leaves or the app shuts down.
   */
  @Sse('api/events')
  events(@Req() request: PageRequest): Observable<MessageEvent> {
    const socket = request.raw?.socket ?? request.socket;
    return this.streams.untilShutdown(dashboardEvents(this.dashboard), socket);
  }
}

/**
 * A {@link LockDashboardController} mounted at `path` behind `guard` (none for `false`). Nest reads
 * a controller's path and guards from its class's metadata when the module is scanned, so the class
 * is made per `forRoot()` call, with the decorators applied as functions.
 */
export function dashboardController(
  path: string,
  guard: DashboardGuard | false,
): Type<LockDashboardController> {
  class MountedLockDashboardController extends LockDashboardController {}
  Controller(path)(MountedLockDashboardController);
  if (guard !== false)
    UseGuards(guard as Type<CanActivate> | CanActivate)(MountedLockDashboardController);
  return MountedLockDashboardController;
}
