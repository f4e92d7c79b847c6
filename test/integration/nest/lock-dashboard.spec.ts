import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  Injectable,
  Module,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  type DashboardSnapshot,
  type ForceReleaseOutcome,
  InvalidLockOptionsError,
  LockDashboardModule,
  type LockDashboardModuleOptions,
  LockManager,
  LockModule,
  LockService,
} from '../../../lib/index.js';
import { aborted } from '../../support/async.js';

/** Admits requests with `x-dashboard-token: viewer` (or `admin`). */
@Injectable()
class ViewerGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const token = context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers[
      'x-dashboard-token'
    ];
    return token === 'viewer' || token === 'admin';
  }
}

/** Admits requests with `x-dashboard-token: admin`. */
const adminGuard: CanActivate = {
  canActivate: (context) =>
    context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers[
      'x-dashboard-token'
    ] === 'admin',
};

const VIEWER = { 'x-dashboard-token': 'viewer' };
const ADMIN = { 'x-dashboard-token': 'admin' };

describe('LockDashboardModule in a Nest app on Express (memory backend)', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  /** Boots an app with the dashboard; returns the dashboard's URL. */
  async function boot(options: LockDashboardModuleOptions, globalPrefix?: string): Promise<string> {
    @Module({
      imports: [
        LockModule.forRoot({ presence: { appName: 'dashboard-spec', interval: 500 } }),
        LockDashboardModule.forRoot(options),
      ],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    if (globalPrefix) app.setGlobalPrefix(globalPrefix);
    await app.listen(0, '127.0.0.1');
    return `${await app.getUrl()}/${globalPrefix ? `${globalPrefix}/` : ''}${options.path ?? 'locks'}`;
  }

  async function snapshotAt(url: string): Promise<DashboardSnapshot> {
    const response = await fetch(`${url}/api/snapshot`, { headers: VIEWER });
    expect(response.status).toBe(200);
    return (await response.json()) as DashboardSnapshot;
  }

  it('answers 403 to a request its guard refuses, on every route', async () => {
    const url = await boot({ guard: ViewerGuard });
    for (const route of ['', '/', '/assets/dashboard.js', '/api/snapshot', '/api/events']) {
      const response = await fetch(`${url}${route}`, { headers: { 'x-dashboard-token': 'nope' } });
      expect([route, response.status]).toEqual([route, 403]);
    }
  });

  it('serves the page under a strict CSP, with its script and sheet, under the global prefix', async () => {
    const url = await boot({ guard: ViewerGuard, path: 'ops/locks', title: 'Shop <locks>' }, 'api');
    expect(url).toMatch(/\/api\/ops\/locks$/);
    const page = await fetch(url, { headers: VIEWER });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await page.text();
    expect(html).toContain('<base href="/api/ops/locks/">');
    expect(html).toContain('<title>Shop &lt;locks&gt;</title>');
    const script = await fetch(`${url}/assets/dashboard.js`, { headers: VIEWER });
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain('EventSource');
    const style = await fetch(`${url}/assets/dashboard.css`, { headers: VIEWER });
    expect(style.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('lists a held lock with its holder instance and fencing token in the snapshot JSON', async () => {
    const url = await boot({ guard: ViewerGuard });
    const lock = await app!.get(LockService).acquire('order:o-1', { ttl: 10_000 });
    const snapshot = await snapshotAt(url);
    const listed = snapshot.locks.find((each) => each.key === 'order:o-1');
    expect(listed?.holders).toEqual([
      expect.objectContaining({
        instanceId: app!.get(LockManager).instanceId,
        fencingToken: lock.fencingToken.toString(),
        alive: true,
        app: 'dashboard-spec',
        pid: process.pid,
      }),
    ]);
    expect(listed!.holders[0]!.leaseLeftMs).toBeGreaterThan(5_000);
    expect(snapshot.canForceRelease).toBe(false);
    expect(JSON.stringify(snapshot)).not.toContain(lock.owner);
    await lock.release();
  });

  it('sends a snapshot event over SSE once a lock is taken', async () => {
    const url = await boot({ guard: ViewerGuard, refreshInterval: 200 });
    const stream = new AbortController();
    const response = await fetch(`${url}/api/events`, { headers: VIEWER, signal: stream.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const lock = await app!.get(LockService).acquire('report:nightly', { ttl: 10_000 });
    let text = '';
    const found = await (async () => {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) return undefined;
        text += value;
        for (const frame of text.split('\n\n')) {
          const lines = frame.split('\n');
          if (!lines.includes('event: snapshot')) continue;
          const data = lines.find((line) => line.startsWith('data: '))!.slice('data: '.length);
          const snapshot = JSON.parse(data) as DashboardSnapshot;
          const held = snapshot.locks.find((each) => each.key === 'report:nightly');
          if (held) return held;
        }
      }
      return undefined;
    })();
    expect(found?.holders[0]?.fencingToken).toBe(lock.fencingToken.toString());
    stream.abort();
    await lock.release();
  });

  it('ends open event streams when the app closes, so shutdown does not wait for the pages', async () => {
    const url = await boot({ guard: ViewerGuard, refreshInterval: 200 });
    const response = await fetch(`${url}/api/events`, { headers: VIEWER });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    await reader.read();
    // Left open, the stream's keep-alive connection would hold close() for the server's
    // keep-alive timeout (5 s); closed by the module, it takes milliseconds.
    const closing = app!.close().then(() => 'closed');
    app = undefined;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise((resolve) => {
      timer = setTimeout(resolve, 3_000, 'still open');
    });
    expect(await Promise.race([closing, bound])).toBe('closed');
    clearTimeout(timer);
    let ended = false;
    while (!ended) ended = (await reader.read()).done;
    expect(ended).toBe(true);
  });

  it('force-releases with the admin guard: the holder is told, the next holder gets a larger token', async () => {
    const url = await boot({ guard: ViewerGuard, adminGuard });
    const locks = app!.get(LockService);
    const held = await locks.acquire('stock:tea', { ttl: 3_000 });
    const post = (headers: Record<string, string>, body: string, type = 'application/json') =>
      fetch(`${url}/api/locks/release`, {
        method: 'POST',
        headers: { ...headers, 'content-type': type },
        body,
      });

    expect((await fetch(`${url}/api/admin`, { headers: VIEWER })).status).toBe(403);
    expect((await fetch(`${url}/api/admin`, { headers: ADMIN })).status).toBe(200);
    expect((await post(VIEWER, '{"key":"stock:tea"}')).status).toBe(403);
    expect((await post({}, '{"key":"stock:tea"}')).status).toBe(403);
    expect((await post(ADMIN, 'key=stock:tea', 'application/x-www-form-urlencoded')).status).toBe(
      415,
    );
    expect((await post(ADMIN, '{"key":""}')).status).toBe(400);
    expect(held.signal.aborted).toBe(false);

    const answer = await post(ADMIN, '{"key":"stock:tea"}');
    expect(answer.status).toBe(200);
    expect((await answer.json()) as ForceReleaseOutcome).toEqual({
      key: 'stock:tea',
      released: 1,
      fencingTokens: [held.fencingToken.toString()],
    });
    await aborted(held.signal, 10_000);
    expect(held.isHeld()).toBe(false);
    const next = await locks.acquire('stock:tea', { ttl: 3_000 });
    expect(next.fencingToken).toBeGreaterThan(held.fencingToken);
    const snapshot = await snapshotAt(url);
    expect(snapshot.canForceRelease).toBe(true);
    expect(snapshot.events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'forceReleased', key: 'stock:tea' }),
      ]),
    );
    await next.release();
  });

  it('has no release route without an admin guard (404)', async () => {
    const url = await boot({ guard: ViewerGuard });
    const response = await fetch(`${url}/api/locks/release`, {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: '{"key":"stock:tea"}',
    });
    expect(response.status).toBe(404);
    expect((await fetch(`${url}/api/admin`, { headers: ADMIN })).status).toBe(404);
  });

  it('takes its refresh, limit and title from a factory with forRootAsync', async () => {
    const SETTINGS = Symbol('settings');
    @Module({
      providers: [{ provide: SETTINGS, useValue: { title: 'From config' } }],
      exports: [SETTINGS],
    })
    class SettingsModule {}
    @Module({
      imports: [
        LockModule.forRoot({ presence: false }),
        LockDashboardModule.forRootAsync({
          guard: ViewerGuard,
          path: 'ops',
          imports: [SettingsModule],
          inject: [SETTINGS],
          useFactory: (settings: { title: string }) => ({ title: settings.title, limit: 5 }),
        }),
      ],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    const page = await fetch(`${await app.getUrl()}/ops`, { headers: VIEWER });
    expect(await page.text()).toContain('<title>From config</title>');

    @Module({
      imports: [
        LockModule.forRoot({ presence: false }),
        LockDashboardModule.forRootAsync({ guard: false, useFactory: () => ({ limit: 0 }) }),
      ],
    })
    class BadModule {}
    await expect(
      NestFactory.create(BadModule, { logger: false, abortOnError: false }),
    ).rejects.toThrow(/Invalid lock option "limit"/);
  });

  it('refuses to boot without a guard when NODE_ENV=production', async () => {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const bootUnguarded = async (options: unknown) => {
        @Module({
          imports: [
            LockModule.forRoot({ allowMemoryInProduction: true }),
            LockDashboardModule.forRoot(options as LockDashboardModuleOptions),
          ],
        })
        class AppModule {}
        app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
      };
      await expect(bootUnguarded({ guard: false })).rejects.toThrow(InvalidLockOptionsError);
      await expect(bootUnguarded({ guard: false })).rejects.toThrow(/NODE_ENV=production/);
      await expect(bootUnguarded({})).rejects.toThrow(/Pass a Nest guard/);
    } finally {
      process.env.NODE_ENV = before;
    }
    expect(app).toBeUndefined();
  });
});

describe('LockDashboardModule on Fastify', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('serves the page, the snapshot and the event stream', async () => {
    @Module({
      imports: [
        LockModule.forRoot({ presence: { appName: 'dashboard-spec', interval: 500 } }),
        LockDashboardModule.forRoot({ guard: ViewerGuard, adminGuard, refreshInterval: 200 }),
      ],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, new FastifyAdapter(), {
      logger: false,
      abortOnError: false,
    });
    await app.listen(0, '127.0.0.1');
    const url = `${await app.getUrl()}/locks`;
    expect((await fetch(url)).status).toBe(403);
    const page = await fetch(url, { headers: VIEWER });
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await page.text()).toContain('<base href="/locks/">');
    const lock = await app.get(LockService).acquire('fastify:held', { ttl: 3_000 });
    const snapshot = (await (
      await fetch(`${url}/api/snapshot`, { headers: VIEWER })
    ).json()) as DashboardSnapshot;
    expect(snapshot.locks.map((each) => each.key)).toContain('fastify:held');

    const stream = new AbortController();
    const events = await fetch(`${url}/api/events`, { headers: VIEWER, signal: stream.signal });
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('event: snapshot')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    expect(text).toContain('fastify:held');
    stream.abort();

    const released = await fetch(`${url}/api/locks/release`, {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: '{"key":"fastify:held"}',
    });
    expect(released.status).toBe(200);
    await aborted(lock.signal, 10_000);
  });
});
