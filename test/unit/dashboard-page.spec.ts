import { Script } from 'node:vm';
import { describe, expect, it } from '@jest/globals';
import { DASHBOARD_PAGE_HTML } from '../../lib/nest/dashboard/dashboard-page.html.js';
import { DASHBOARD_CSP, renderDashboardPage } from '../../lib/nest/dashboard/dashboard-page.js';
import { DASHBOARD_SCRIPT_JS } from '../../lib/nest/dashboard/dashboard-script.js.js';
import { DASHBOARD_STYLE_CSS } from '../../lib/nest/dashboard/dashboard-style.css.js';

const page = renderDashboardPage({ requestPath: '/api/locks', title: 'Locks', refreshMs: 1_000 });

describe('the dashboard page (CSP-compatible static HTML)', () => {
  it('has no inline script: every <script> has a src and no body', () => {
    const scripts = [...page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts).toHaveLength(1);
    for (const [, attributes, content] of scripts) {
      expect(attributes).toMatch(/\bsrc="assets\/dashboard\.js"/);
      expect(content).toBe('');
    }
  });

  it('has no event-handler attributes, javascript: URLs, inline styles or style elements', () => {
    expect(page).not.toMatch(/\son[a-z]+\s*=/i);
    expect(page).not.toMatch(/javascript:/i);
    expect(page).not.toMatch(/\sstyle\s*=/i);
    expect(page).not.toMatch(/<style/i);
  });

  it('is served under a policy that allows only its own origin and nothing inline', () => {
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).toContain("default-src 'none'");
    expect(DASHBOARD_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it('sets <base> to the page path with a slash, so assets resolve under any prefix', () => {
    expect(page).toContain('<base href="/api/locks/">');
    expect(renderDashboardPage({ requestPath: '/locks/?x=1', title: 'L', refreshMs: 1 })).toContain(
      '<base href="/locks/">',
    );
    expect(
      renderDashboardPage({ requestPath: '//evil.example/', title: 'L', refreshMs: 1 }),
    ).toContain('<base href="/evil.example/">');
  });

  it('escapes the title and fills in every placeholder', () => {
    const html = renderDashboardPage({
      requestPath: '/l',
      title: '<b>"Ops" & co</b>',
      refreshMs: 2_000,
    });
    expect(html).toContain('<title>&lt;b&gt;&quot;Ops&quot; &amp; co&lt;/b&gt;</title>');
    expect(html).toContain('data-refresh-ms="2000"');
    expect(html).not.toMatch(/\{\{/);
    expect(DASHBOARD_PAGE_HTML).toMatch(/\{\{base\}\}/);
  });

  it('has landmarks, a live status region and a skip link', () => {
    expect(page).toMatch(/<main id="main"/);
    expect(page).toMatch(/<header/);
    expect(page).toMatch(/role="status" aria-live="polite"/);
    expect(page).toMatch(/href="#main"/);
  });
});

describe('the dashboard script and sheet', () => {
  it('is valid JavaScript', () => {
    expect(() => new Script(DASHBOARD_SCRIPT_JS)).not.toThrow();
  });

  it('builds the DOM with textContent, never markup from data', () => {
    expect(DASHBOARD_SCRIPT_JS).not.toMatch(
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/,
    );
  });

  it('reaches the API by URLs relative to the page, with no other origin', () => {
    expect(DASHBOARD_SCRIPT_JS).toContain("api('api/events')");
    expect(DASHBOARD_SCRIPT_JS).toContain("api('api/snapshot')");
    expect(DASHBOARD_SCRIPT_JS).not.toMatch(/https?:\/\//);
    expect(DASHBOARD_STYLE_CSS).not.toMatch(/https?:\/\/|@import/);
  });

  it('has a dark scheme and a visible focus outline', () => {
    expect(DASHBOARD_STYLE_CSS).toContain('prefers-color-scheme: dark');
    expect(DASHBOARD_STYLE_CSS).toMatch(/:focus-visible \{ outline: 3px solid/);
  });
});
