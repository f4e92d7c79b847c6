import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import {
  type AppInstance,
  signal,
  startAppInstance,
  stopAppInstance,
} from '../../sample-app/demo/app-instance.js';
import { PG_URL, REDIS_URL } from '../support/servers.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'sample-app/dist/src/main.js');
const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'browser-spec';
const ADMIN_TOKEN = 'browser-spec-admin';
/** How long the pretend payment gateway and fraud check hold their locks: long enough to look. */
const SLOW_CALL_MS = 25_000;
/** Generous bounds for a loaded two-core machine; none is a measurement. */
const SEE_MS = 30_000;
const SCREENSHOTS = process.env.LOCKER_SCREENSHOTS === '1';

/** `app-2` as the dashboard shows it (instance ids are letters, digits and `_`). */
const idOf = (instance: AppInstance): string => instance.name.replace(/[^A-Za-z0-9_]/g, '_');

/** When each thing was first seen on the page, ms after the kill or the start. */
const seen: Record<string, number> = {};

describe('the lock dashboard in headless Chromium, on three sample-app instances on Redis', () => {
  const schema = `sample_browser_${Math.random().toString(36).slice(2, 10)}`;
  const logDir = mkdtempSync(join(tmpdir(), 'locker-dashboard-browser-'));
  const instances: AppInstance[] = [];
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pending: Promise<unknown>[] = [];
  let keepWaiting = true;

  beforeAll(async () => {
    execFileSync(
      process.execPath,
      ['node_modules/typescript/bin/tsc', '-p', 'sample-app/tsconfig.json'],
      { cwd: ROOT, stdio: 'inherit' },
    );
    const prefix = `browser:${Date.now().toString(36)}:`;
    instances.push(
      ...(await Promise.all(
        [1, 2, 3].map((n) =>
          startAppInstance({
            name: `app-${n}`,
            main: MAIN,
            port: 0,
            logFile: join(logDir, `app-${n}.log`),
            readyTimeoutMs: 60_000,
            env: {
              NO_COLOR: '1',
              LOCK_STORE: 'redis',
              REDIS_URL,
              DATABASE_URL: PG_URL,
              DB_SCHEMA: schema,
              LOCK_PREFIX: prefix,
              SLOW_CALL_MS: String(SLOW_CALL_MS),
              // Every second; a run takes 20 s under a 12 s lease renewed while it runs. A killed
              // runner's record is gone within 6 s (three 2 s presence intervals) and its lease
              // within 12 s: the page shows the lease of a gone instance running out, then the
              // next instance taking the job.
              REPORT_CRON: '* * * * * *',
              REPORT_TTL: '12s',
              REPORT_WORK_MS: '20000',
              DASHBOARD_TOKEN: TOKEN,
              DASHBOARD_ADMIN_TOKEN: ADMIN_TOKEN,
            },
          }),
        ),
      )),
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      httpCredentials: { username: 'ops', password: TOKEN },
    });
    page = await context.newPage();
  }, 180_000);

  afterAll(async () => {
    keepWaiting = false;
    await Promise.allSettled(pending);
    await context?.close();
    await browser?.close();
    await Promise.all(instances.map((instance) => stopAppInstance(instance, 10_000)));
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    rmSync(logDir, { recursive: true, force: true });
    if (Object.keys(seen).length > 0)
      console.log(`dashboard browser spec timings: ${JSON.stringify(seen)}`);
  }, 60_000);

  /** Records when `what` was first seen, relative to `from`. */
  const note = (what: string, from: number): void => {
    seen[what] = Math.round(performance.now() - from);
  };

  it('is refused without the token (401 asking for Basic credentials)', async () => {
    const response = await fetch(`${instances[0]!.url}/locks`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('goes live over server-sent events and lists the three instances', async () => {
    const start = performance.now();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // The one refusal expected: the page asks whether this viewer may force-release (403: no).
    const expected = (url: string) => url.endsWith('/locks/api/admin');
    page.on('console', (message) => {
      if (message.type() === 'error' && !expected(message.location().url))
        errors.push(message.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 400 && !expected(response.url())) {
        errors.push(`${response.status()} ${response.url()}`);
      }
    });
    await page.goto(`${instances[0]!.url}/locks`);
    await page
      .getByRole('status')
      .first()
      .filter({ hasText: 'Live (server-sent events)' })
      .waitFor({
        timeout: SEE_MS,
      });
    for (const instance of instances) {
      await page
        .locator(`#instances tr[data-instance="${idOf(instance)}"]`)
        .waitFor({ timeout: SEE_MS });
    }
    note('three instances listed', start);
    expect(await page.locator('#notice').isHidden()).toBe(true);
    expect(errors).toEqual([]);
  }, 60_000);

  it('falls back to polling the snapshot when the event stream is refused', async () => {
    const polling = await context.newPage();
    try {
      // As behind a proxy that does not pass event streams.
      await polling.route('**/api/events', (route) =>
        route.fulfill({ status: 503, body: 'no event streams here' }),
      );
      await polling.goto(`${instances[0]!.url}/locks`);
      await polling
        .locator('#status')
        .filter({ hasText: 'Live (polling every 1.0 s)' })
        .waitFor({ timeout: SEE_MS });
      await polling
        .locator(`#instances tr[data-instance="${idOf(instances[2]!)}"]`)
        .waitFor({ timeout: SEE_MS });
    } finally {
      await polling.close();
    }
  }, 60_000);

  it('lists the lock an in-flight order holds, with its holder and fencing token, and a waiter', async () => {
    const [, second, third] = instances;
    const start = performance.now();
    pending.push(post(second!, '/orders/o-browser', { sku: 'tea', qty: 1 }));
    const orderRow = page.locator('#locks tr[data-key="order:o-browser"]');
    await orderRow.locator(`[data-holder="${idOf(second!)}"]`).waitFor({ timeout: SEE_MS });
    note('in-flight order lock listed', start);
    expect(await orderRow.locator('td.num').first().textContent()).toMatch(/^\d+$/);

    // A transfer from alice holds account:alice through its fraud check; another one from alice
    // waits for it (5 s at most, then 409: sent again while the first one runs).
    pending.push(post(second!, '/accounts/transfers', { from: 'alice', to: 'bob', amount: 1 }));
    const accountRow = page.locator('#locks tr[data-key="account:alice"]');
    await accountRow.locator(`[data-holder="${idOf(second!)}"]`).waitFor({ timeout: SEE_MS });
    const waitStart = performance.now();
    pending.push(
      (async () => {
        const until = Date.now() + SLOW_CALL_MS;
        while (keepWaiting && Date.now() < until) {
          await post(third!, '/accounts/transfers', { from: 'alice', to: 'carol', amount: 1 });
        }
      })(),
    );
    const waiter = accountRow.locator(`li[data-waiter="${idOf(third!)}"]`);
    await waiter.waitFor({ timeout: SEE_MS });
    note('waiter shown', waitStart);
    expect(await waiter.textContent()).toMatch(/waiting/);
  }, 90_000);

  it('takes screenshots at 1280 and 375 px wide (LOCKER_SCREENSHOTS=1), with no sideways page scroll on a phone', async () => {
    const images = join(ROOT, 'docs/images');
    if (SCREENSHOTS) {
      mkdirSync(images, { recursive: true });
      await page.screenshot({ path: join(images, 'dashboard.png'), fullPage: true });
    }
    await page.setViewportSize({ width: 375, height: 800 });
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    if (SCREENSHOTS)
      await page.screenshot({ path: join(images, 'dashboard-phone.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    if (SCREENSHOTS) await page.screenshot({ path: join(images, 'dashboard-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(existsSync(images) || !SCREENSHOTS).toBe(true);
  }, 60_000);

  it('shows cron ticks with the instance that ran each', async () => {
    const start = performance.now();
    const ranBy = instances.map((instance) => `[data-ran-by="${idOf(instance)}"]`).join(', ');
    await page.locator(`#crons tbody tr:is(${ranBy})`).first().waitFor({ timeout: SEE_MS });
    note('a cron tick with its instance', start);
    await page
      .locator('#crons tbody tr[data-outcome="skipped"]')
      .first()
      .waitFor({ timeout: SEE_MS });
    expect(await page.locator('#crons h3').first().textContent()).toBe('nightly-report');
  }, 60_000);

  it('force-releases a lock for the admin, from the keyboard, after a confirmation', async () => {
    expect(await page.locator('#locks button').count()).toBe(0);
    const admin = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      httpCredentials: { username: 'admin', password: ADMIN_TOKEN },
    });
    try {
      const adminPage = await admin.newPage();
      const holder = instances[2]!;
      pending.push(post(holder, '/orders/o-release', { sku: 'cocoa', qty: 1 }));
      await adminPage.goto(`${instances[0]!.url}/locks`);
      const row = adminPage.locator('#locks tr[data-key="order:o-release"]');
      await row.locator(`[data-holder="${idOf(holder)}"]`).waitFor({ timeout: SEE_MS });
      const token = (await row.locator('td.num').first().textContent())!.trim();
      const start = performance.now();

      await row.getByRole('button', { name: 'Force-release order:o-release' }).focus();
      await adminPage.keyboard.press('Enter');
      const dialog = adminPage.getByRole('dialog');
      await dialog.waitFor({ timeout: SEE_MS });
      expect(await dialog.locator('#confirm-release-key').textContent()).toBe('order:o-release');
      // Cancel has the focus first: a stray Enter keeps the lock.
      await adminPage.keyboard.press('Tab');
      await adminPage.keyboard.press('Enter');
      await adminPage
        .locator('#action-status')
        .filter({
          hasText: `Force-released order:o-release: 1 hold(s), fencing token(s) ${token}.`,
        })
        .waitFor({ timeout: SEE_MS });
      await row.waitFor({ state: 'detached', timeout: SEE_MS });
      note('force-released lock gone from the page', start);
      await adminPage
        .locator('#events tr[data-type="forceReleased"]')
        .filter({ hasText: 'order:o-release' })
        .waitFor({ timeout: SEE_MS });
    } finally {
      await admin.close();
    }
  }, 90_000);

  it("shows a kill -9'd holder's lease running out, then another instance taking the job over", async () => {
    const row = page.locator('#locks tr[data-key="cron:nightly-report"]');
    const anyRunner = instances.map((instance) => `[data-holder="${idOf(instance)}"]`).join(', ');
    await row.locator(`:is(${anyRunner})`).first().waitFor({ timeout: SEE_MS });
    const holderId = await row.locator(`:is(${anyRunner})`).first().getAttribute('data-holder');
    const victim = instances.find((instance) => idOf(instance) === holderId)!;
    if (victim === instances[0]) {
      // The page's own instance runs the job: watch from another one, which shows the same store.
      await page.goto(`${instances[1]!.url}/locks`);
      await row.locator(`[data-holder="${holderId}"]`).waitFor({ timeout: SEE_MS });
    }
    const token = BigInt((await row.locator('td.num').first().textContent())!.trim());

    const killedAt = performance.now();
    signal(victim.pid, 'SIGKILL');
    await victim.exited;
    await row
      .locator(`[data-holder="${holderId}"][data-alive="false"]`)
      .waitFor({ timeout: SEE_MS });
    note('killed holder shown gone, lease running out', killedAt);
    await page
      .locator(`#instances tr[data-instance="${holderId}"]`)
      .waitFor({ state: 'detached', timeout: SEE_MS });
    note('killed instance left the instances table', killedAt);

    const successor = row.locator('[data-holder][data-alive="true"]');
    await successor.waitFor({ timeout: SEE_MS });
    note('takeover shown', killedAt);
    const successorId = await successor.getAttribute('data-holder');
    expect(successorId).not.toBe(holderId);
    const nextToken = BigInt((await row.locator('td.num').first().textContent())!.trim());
    expect(nextToken).toBeGreaterThan(token);
    await page
      .locator(`#crons tbody tr[data-ran-by="${successorId}"]`)
      .first()
      .waitFor({ timeout: SEE_MS });
  }, 120_000);
});

/** POSTs JSON to an instance; resolves with the status, whatever it is. */
function post(instance: AppInstance, path: string, body: unknown): Promise<number> {
  return fetch(`${instance.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(
    (response) => response.status,
    () => 0,
  );
}
