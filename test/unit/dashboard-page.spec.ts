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

/** The WCAG relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** The colour variables of one `:root { ... }` block of the sheet. */
function scheme(css: string): Record<string, string> {
  return Object.fromEntries(
    [...css.matchAll(/--([a-z]+): (#[0-9a-f]{6})/g)].map(([, name, value]) => [name!, value!]),
  );
}

describe('the dashboard colours', () => {
  const [light, dark] = DASHBOARD_STYLE_CSS.split('@media (prefers-color-scheme: dark)') as [
    string,
    string,
  ];

  it.each([
    ['light', scheme(light)],
    ['dark', scheme(dark.slice(0, dark.indexOf('\n}\n')))],
  ])('have a contrast of 4.5:1 or more for every text colour in the %s scheme', (_, colours) => {
    for (const text of ['text', 'muted', 'accent', 'danger', 'ok', 'focus']) {
      for (const background of ['bg', 'panel']) {
        const ratio = contrast(colours[text]!, colours[background]!);
        expect([text, background, ratio >= 4.5]).toEqual([text, background, true]);
      }
    }
  });
});
