import { DASHBOARD_PAGE_HTML } from './dashboard-page.html.js';

/** What the page is rendered with. */
export interface DashboardPageInput {
  /** The page's URL path as the browser asked for it; relative asset and API URLs resolve from it. */
  readonly requestPath: string;
  readonly title: string;
  readonly refreshMs: number;
}

/**
 * The `Content-Security-Policy` of the page: scripts, styles and requests from the app's own
 * origin only, nothing inline, no frames, no plugins, no forms posting elsewhere. Images may also
 * be `data:` URLs: the page's empty icon, so browsers do not ask the app for `/favicon.ico`.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The page's HTML. Its `<base>` is the page's own path with a trailing slash, whatever the app's
 * global prefix and the module's `path`: `/api/locks` and `/api/locks/` both load
 * `/api/locks/assets/dashboard.js`.
 *
 * @example
 * ```ts
 * renderDashboardPage({ requestPath: '/locks', title: 'Locks', refreshMs: 1000 });
 * ```
 */
export function renderDashboardPage(input: DashboardPageInput): string {
  // One leading slash: `//host/` would be a base on another origin (CSP's base-uri refuses it too).
  const path = `/${(input.requestPath.split(/[?#]/, 1)[0] ?? '').replace(/^\/+/, '')}`;
  const base = path.endsWith('/') ? path : `${path}/`;
  const values: Record<string, string> = {
    base: escapeHtml(base),
    title: escapeHtml(input.title),
    refreshMs: String(input.refreshMs),
  };
  return DASHBOARD_PAGE_HTML.replace(/\{\{(\w+)\}\}/g, (_, name: string) => values[name] ?? '');
}

/** Escapes text for an HTML text node or a double- or single-quoted attribute. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
