/**
 * The dashboard's style sheet (`GET <path>/assets/dashboard.css`). Light and dark schemes follow
 * `prefers-color-scheme`; every text colour has a contrast of 4.5:1 or more on its background
 * (light: #1b1b1b, #4d4d4d, #0b57d0, #a4251c, #0b6b2d on #fff / #f3f4f6; dark: #ececec,
 * #b8b8b8, #9cc0fa, #f6a39c, #8fd6a3 on #141414 / #1f1f1f). Tables scroll sideways in their own box
 * on a narrow screen rather than widening the page.
 */
export const DASHBOARD_STYLE_CSS = `:root {
  --bg: #ffffff; --panel: #f3f4f6; --text: #1b1b1b; --muted: #4d4d4d; --line: #c9ccd1;
  --accent: #0b57d0; --danger: #a4251c; --ok: #0b6b2d; --focus: #0b57d0;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #141414; --panel: #1f1f1f; --text: #ececec; --muted: #b8b8b8; --line: #3b3f45;
    --accent: #9cc0fa; --danger: #f6a39c; --ok: #8fd6a3; --focus: #9cc0fa;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
.skip { position: absolute; left: -999px; top: 0; padding: .5rem; background: var(--panel); color: var(--accent); }
.skip:focus { left: .5rem; }
.top, main, .foot { padding: 0 1rem; max-width: 90rem; margin: 0 auto; }
.top { display: flex; flex-wrap: wrap; align-items: baseline; gap: .25rem 1.25rem; padding-top: .75rem; }
h1 { font-size: 1.4rem; margin: 0; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
.status, .summary { margin: 0; color: var(--muted); }
.status[data-state="live"] { color: var(--ok); }
.status[data-state="failed"] { color: var(--danger); }
.notice { border: 2px solid var(--danger); background: var(--panel); padding: .5rem .75rem; border-radius: 4px; }
.scroll { overflow-x: auto; max-width: 100%; }
.scroll:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; min-width: 36rem; }
caption { text-align: left; color: var(--muted); padding: .25rem 0; caption-side: top; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--panel); font-weight: 600; }
tbody th { font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .key { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; overflow-wrap: anywhere; }
th.key { min-width: 11rem; }
td.who { min-width: 14rem; }
.muted { color: var(--muted); }
.bad { color: var(--danger); font-weight: 600; }
.good { color: var(--ok); }
ol.waiters { margin: 0; padding-left: 1.25rem; }
.empty { color: var(--muted); font-style: italic; margin: .25rem 0; }
button {
  font: inherit; color: var(--text); background: var(--panel); border: 1px solid var(--muted);
  border-radius: 4px; padding: .3rem .7rem; cursor: pointer; min-height: 2rem;
}
button.danger { color: var(--danger); border-color: var(--danger); }
button:hover { border-width: 2px; padding: calc(.3rem - 1px) calc(.7rem - 1px); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
dialog { background: var(--bg); color: var(--text); border: 1px solid var(--line); border-radius: 6px; max-width: 32rem; }
dialog::backdrop { background: rgb(0 0 0 / 50%); }
.actions { display: flex; gap: .75rem; justify-content: flex-end; }
.foot { color: var(--muted); padding-bottom: 1rem; font-size: .9rem; }
@media (max-width: 600px) {
  body { font-size: 14px; }
  .top, main, .foot { padding: 0 .6rem; }
  th, td { padding: .3rem .4rem; }
}
`;
