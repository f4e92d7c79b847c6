/**
 * The dashboard's page, a template: `{{base}}` (the page's own URL path, ending in `/`), `{{title}}`
 * and `{{refreshMs}}` are filled in by {@link renderDashboardPage}, escaped. No inline script or
 * style (the page is served with `script-src 'self'; style-src 'self'`): the script and the sheet
 * are the files under `assets/`, the settings the script needs are `data-` attributes.
 * The sections are empty shells; `dashboard-script.js.ts` fills them from each snapshot.
 */
export const DASHBOARD_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<base href="{{base}}">
<title>{{title}}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/dashboard.css">
<script src="assets/dashboard.js" defer></script>
</head>
<body data-refresh-ms="{{refreshMs}}">
<a class="skip" href="#main">Skip to the locks</a>
<header class="top">
  <h1>{{title}}</h1>
  <p id="status" class="status" role="status" aria-live="polite">Connecting…</p>
  <p id="summary" class="summary"></p>
  <p id="action-status" class="status" role="status" aria-live="polite"></p>
</header>
<main id="main" tabindex="-1">
  <p id="notice" class="notice" hidden></p>
  <section aria-labelledby="instances-heading">
    <h2 id="instances-heading">Instances</h2>
    <div class="scroll" id="instances" tabindex="0" role="region" aria-labelledby="instances-heading"></div>
  </section>
  <section aria-labelledby="locks-heading">
    <h2 id="locks-heading">Locks</h2>
    <div class="scroll" id="locks" tabindex="0" role="region" aria-labelledby="locks-heading"></div>
  </section>
  <section aria-labelledby="leaders-heading">
    <h2 id="leaders-heading">Leaders</h2>
    <div class="scroll" id="leaders" tabindex="0" role="region" aria-labelledby="leaders-heading"></div>
  </section>
  <section aria-labelledby="crons-heading">
    <h2 id="crons-heading">Cron jobs</h2>
    <div id="crons"></div>
  </section>
  <section aria-labelledby="events-heading">
    <h2 id="events-heading">Recent events</h2>
    <div class="scroll" id="events" tabindex="0" role="region" aria-labelledby="events-heading"></div>
  </section>
</main>
<dialog id="confirm-release" aria-labelledby="confirm-release-heading">
  <form method="dialog">
    <h2 id="confirm-release-heading">Force-release this lock?</h2>
    <p>Key: <code id="confirm-release-key"></code></p>
    <p>Its holder loses the lock at once: its lost-lease signal aborts and its renewal fails, but
    code that ignores the signal may still be running. The next holder gets a larger fencing token,
    so stores that check fencing tokens refuse the old holder's writes.</p>
    <div class="actions">
      <button value="cancel" autofocus>Cancel</button>
      <button value="release" class="danger">Force-release</button>
    </div>
  </form>
</dialog>
<footer class="foot"><p id="served-by"></p></footer>
</body>
</html>
`;
