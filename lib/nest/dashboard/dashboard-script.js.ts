/**
 * The dashboard's script (`GET <path>/assets/dashboard.js`): plain browser JavaScript, no build
 * step, no dependency. It listens to `api/events` (server-sent events) and falls back to polling
 * `api/snapshot` every refresh interval when the event stream fails; it renders each snapshot into
 * the page's sections with `textContent` only (keys, hosts and messages are data, never markup),
 * counts leases down and holds up between updates, and, when the snapshot says force-release is
 * enabled, offers a button per held lock that asks for confirmation in a `<dialog>` and POSTs
 * `api/locks/release`. URLs are relative to the page's `<base>`.
 */
export const DASHBOARD_SCRIPT_JS = `'use strict';
(function () {
  var body = document.body;
  var refreshMs = Number(body.getAttribute('data-refresh-ms')) || 1000;
  var statusEl = document.getElementById('status');
  var current = null;
  var receivedAt = 0;
  var source = null;
  var pollTimer = null;
  var streamErrors = 0;
  // Whether this user passes the admin guard too (GET api/admin answers 200): only then are the
  // force-release buttons shown.
  var mayRelease = false;

  function api(path) { return new URL(path, document.baseURI).toString(); }

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (name) {
        var value = props[name];
        if (value === undefined || value === null) return;
        if (name === 'text') node.textContent = String(value);
        else if (name === 'className') node.className = value;
        else node.setAttribute(name, String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function duration(ms) {
    if (ms < 0) ms = 0;
    if (ms < 10000) return (ms / 1000).toFixed(1) + ' s';
    var s = Math.round(ms / 1000);
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + (s % 60) + ' s';
    var h = Math.floor(m / 60);
    if (h < 48) return h + ' h ' + (m % 60) + ' min';
    return Math.floor(h / 24) + ' d ' + (h % 24) + ' h';
  }

  function clock(at) { return new Date(at).toLocaleTimeString(); }

  function elapsed() { return Date.now() - receivedAt; }

  // A span that counts down ("left") or up ("since") from the value it had when the snapshot came.
  function ticking(kind, ms) {
    var span = el('span', { 'data-tick': kind, 'data-ms': ms });
    span.textContent = tickText(kind, ms);
    return span;
  }

  function tickText(kind, ms) {
    if (kind === 'left') {
      var left = ms - elapsed();
      return left > 0 ? duration(left) : 'expired ' + duration(-left) + ' ago';
    }
    return duration(ms + elapsed());
  }

  function tick() {
    if (!current) return;
    var spans = document.querySelectorAll('[data-tick]');
    for (var i = 0; i < spans.length; i++) {
      var span = spans[i];
      var kind = span.getAttribute('data-tick');
      var ms = Number(span.getAttribute('data-ms'));
      span.textContent = tickText(kind, ms);
      if (kind === 'left') span.className = ms - elapsed() <= 0 ? 'bad' : '';
    }
  }

  function setStatus(state, message) {
    statusEl.setAttribute('data-state', state);
    if (statusEl.textContent !== message) statusEl.textContent = message;
  }

  function table(caption, headings, rows, empty) {
    if (rows.length === 0) return el('p', { className: 'empty', text: empty });
    var head = el('tr', null, headings.map(function (h) {
      return el('th', { scope: 'col', text: h.label || h, className: h.num ? 'num' : undefined });
    }));
    return el('table', null, [
      el('caption', { text: caption }),
      el('thead', null, [head]),
      el('tbody', null, rows),
    ]);
  }

  function cell(content, className) {
    var td = el('td', { className: className });
    (Array.isArray(content) ? content : [content]).forEach(function (c) {
      if (c === null || c === undefined) return;
      td.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return td;
  }

  function rowHeader(text, className) { return el('th', { scope: 'row', className: className }, [text]); }

  function lines(items) {
    return items.map(function (item) { return el('div', null, [item]); });
  }

  function renderInstances(s) {
    var rows = s.instances.map(function (i) {
      return el('tr', { 'data-instance': i.id }, [
        rowHeader(i.id + (i.id === s.servedBy ? ' (this page)' : '')),
        cell(i.app), cell(i.host), cell(String(i.pid), 'num'),
        cell(clock(i.startedAt)),
        cell(ticking('left', i.recordLeftMs), 'num'),
      ]);
    });
    return table(s.instances.length + ' alive', ['Instance', 'App', 'Host', { label: 'PID', num: true }, 'Started', { label: 'Record left', num: true }], rows,
      s.canList ? 'No instance records (is instance presence on in LockModule?).' : 'Not listed: the backend cannot list.');
  }

  function holderWho(h) {
    var where = h.instanceId === null ? null : [h.app, h.host, h.pid === undefined ? undefined : 'pid ' + h.pid].filter(Boolean).join(' · ');
    var dead = h.instanceId !== null && !h.alive ? el('span', { className: 'bad', text: ' (instance gone: lease running out)' }) : null;
    return el('div', { 'data-holder': h.instanceId === null ? '' : h.instanceId, 'data-alive': String(h.alive) }, [
      h.instanceId === null ? el('span', { className: 'muted', text: 'another client of the store' }) : el('span', { text: h.instanceId }),
      dead, where ? el('span', { className: 'muted', text: ' ' + where }) : null]);
  }

  function renderLocks(s) {
    var headings = ['Key', 'Kind', 'Holder', { label: 'Fencing token', num: true }, { label: 'Held for', num: true }, { label: 'Lease left', num: true }, 'Waiters (in order)'];
    var release = s.canForceRelease && mayRelease;
    if (release) headings.push('Action');
    var rows = s.locks.map(function (lock) {
      var kind = lock.kind + (lock.permits !== undefined ? ' (' + lock.holders.length + ' of ' + lock.permits + ' permits)' : '') + (lock.role ? ' · ' + lock.role : '');
      var holders = lock.holders.length === 0 ? [el('span', { className: 'muted', text: 'free' })] : lock.holders.map(holderWho);
      var waiters = lock.waiters.length === 0 ? el('span', { className: 'muted', text: 'none' }) :
        el('ol', { className: 'waiters' }, lock.waiters.map(function (w) {
          return el('li', { 'data-waiter': w.instanceId }, [w.instanceId + (w.mode ? ' (' + w.mode + ')' : '') + (w.fair ? ' · queued' : '') + ' · waiting ', ticking('since', w.waitedMs)]);
        }));
      var cells = [
        el('th', { scope: 'row', className: 'key' }, [lock.key]),
        cell(kind),
        cell(holders, 'who'),
        cell(lines(lock.holders.map(function (h) { return h.fencingToken; })), 'num'),
        cell(lines(lock.holders.map(function (h) { return h.heldMs === undefined ? '–' : ticking('since', h.heldMs); })), 'num'),
        cell(lines(lock.holders.map(function (h) { return ticking('left', h.leaseLeftMs); })), 'num'),
        cell(waiters),
      ];
      if (release) {
        cells.push(cell(lock.holders.length === 0 ? null : releaseButton(lock.key)));
      }
      return el('tr', { 'data-key': lock.key }, cells);
    });
    var caption = s.locks.length + (s.locks.length === 1 ? ' key' : ' keys') + ' held or waited for' + (s.truncated ? ' (more not shown)' : '');
    return table(caption, headings, rows, 'No lock is held or waited for.');
  }

  function releaseButton(key) {
    var button = el('button', { type: 'button', className: 'danger', 'data-focus': 'release:' + key, 'aria-label': 'Force-release ' + key, text: 'Force-release' });
    button.addEventListener('click', function () { confirmRelease(key); });
    return button;
  }

  function renderLeaders(s) {
    var rows = s.leaders.map(function (l) {
      var since = l.since === undefined ? el('span', { className: 'muted', text: 'not reported yet' }) : [clock(l.since) + ' (for ', ticking('since', s.now - l.since), ')'];
      return el('tr', { 'data-election': l.election }, [rowHeader(l.election), cell(l.instanceId), cell(l.fencingToken, 'num'), cell(since)]);
    });
    return table(s.leaders.length + (s.leaders.length === 1 ? ' election' : ' elections'), ['Election', 'Leader', { label: 'Term token', num: true }, 'Term since'], rows, 'No election has a leader.');
  }

  function renderCrons(s) {
    var box = el('div');
    if (s.crons.length === 0) box.appendChild(el('p', { className: 'empty', text: 'No @SingletonCron job has reported a tick.' }));
    s.crons.forEach(function (job) {
      box.appendChild(el('h3', { text: job.name }));
      var rows = job.ticks.map(function (t) {
        var outcomeText = t.claimedBy ? 'skipped: the previous run was still going (claimed by ' + t.claimedBy + ')' : t.outcome;
        var outcome = el('span', { text: outcomeText, className: t.outcome === 'failed' ? 'bad' : t.outcome === 'succeeded' ? 'good' : 'muted' });
        return el('tr', { 'data-ran-by': t.ranBy === null ? '' : t.ranBy, 'data-outcome': t.outcome }, [
          rowHeader(clock(t.at)),
          cell(outcome),
          cell(t.ranBy === null ? el('span', { className: 'muted', text: 'none' }) : t.ranBy),
          cell(t.durationMs === undefined ? '–' : duration(t.durationMs), 'num'),
          cell(t.skippedBy.length === 0 ? '–' : t.skippedBy.join(', ')),
          cell(t.error === undefined ? '' : t.error),
        ]);
      });
      box.appendChild(el('div', { className: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Ticks of ' + job.name }, [table('Recent ticks of ' + job.name + ', newest first', ['Tick', 'Outcome', 'Ran by', { label: 'Duration', num: true }, 'Skipped by', 'Error'], rows, 'No tick yet.')]));
    });
    return box;
  }

  var EVENT_NAMES = { lost: 'lease lost', renewalFailed: 'renewal failed', releaseFailed: 'release failed', forceReleased: 'force-released' };

  function renderEvents(s) {
    var rows = s.events.map(function (e) {
      return el('tr', { 'data-type': e.type }, [
        rowHeader(clock(e.at)),
        cell(el('span', { className: e.type === 'forceReleased' ? '' : 'bad', text: EVENT_NAMES[e.type] || e.type })),
        cell(e.instanceId), cell(e.key === undefined ? '–' : el('span', { className: 'key', text: e.key })), cell(e.message),
      ]);
    });
    return table(s.events.length + ' recent, newest first', ['Time', 'Event', 'Instance', 'Key', 'What happened'], rows, 'Nothing went wrong lately.');
  }

  function replace(id, node) {
    var box = document.getElementById(id);
    box.replaceChildren(node);
  }

  function render(s) {
    var focused = document.activeElement && document.activeElement.getAttribute('data-focus');
    current = s;
    receivedAt = Date.now();
    var notice = document.getElementById('notice');
    var notes = [];
    if (!s.canList) notes.push('The ' + s.backend + ' backend cannot list its keys: only what the instance serving this page (' + s.servedBy + ') holds and waits for is shown, not the other instances\\' locks.');
    if (s.truncated) notes.push('There are more leases than the dashboard lists at once: the first ' + s.locks.length + ' keys are shown.');
    notice.hidden = notes.length === 0;
    notice.textContent = notes.join(' ');
    document.getElementById('summary').textContent = s.backend + ' · prefix ' + (s.prefix === '' ? '(none)' : s.prefix) + ' · ' + s.instances.length + ' instances · ' + s.locks.length + ' keys';
    replace('instances', renderInstances(s));
    replace('locks', renderLocks(s));
    replace('leaders', renderLeaders(s));
    replace('crons', renderCrons(s));
    replace('events', renderEvents(s));
    document.getElementById('served-by').textContent = 'Served by ' + s.servedBy + ', read at ' + clock(s.now) + '.';
    if (focused) {
      var again = document.querySelector('[data-focus="' + CSS.escape(focused) + '"]');
      if (again) again.focus();
    }
  }

  function receive(snapshot, how) {
    render(snapshot);
    setStatus('live', how);
  }

  function connect() {
    if (typeof EventSource !== 'function') { poll(); return; }
    source = new EventSource(api('api/events'));
    source.addEventListener('open', function () { setStatus('live', 'Live (server-sent events).'); });
    source.addEventListener('snapshot', function (event) {
      streamErrors = 0;
      receive(JSON.parse(event.data), 'Live (server-sent events).');
    });
    source.addEventListener('failure', function (event) {
      setStatus('failed', 'The lock store could not be read (' + JSON.parse(event.data).message + '); showing the last picture.');
    });
    source.addEventListener('error', function () {
      streamErrors += 1;
      // CLOSED: the server refused the stream (an error status, a proxy that buffers); after a
      // few failed reconnects the stream is as good as gone. Either way, poll instead.
      if (source.readyState === EventSource.CLOSED || streamErrors >= 3) {
        source.close();
        source = null;
        poll();
      } else {
        setStatus('reconnecting', 'Connection lost; reconnecting…');
      }
    });
  }

  function poll() {
    if (pollTimer !== null) return;
    var run = function () {
      fetch(api('api/snapshot'), { cache: 'no-store', headers: { accept: 'application/json' } })
        .then(function (response) {
          if (!response.ok) throw new Error('HTTP ' + response.status);
          return response.json();
        })
        .then(function (snapshot) { receive(snapshot, 'Live (polling every ' + duration(refreshMs) + ').'); })
        .catch(function (error) { setStatus('failed', 'Could not load the dashboard (' + error.message + '); retrying.'); })
        .then(function () { pollTimer = setTimeout(run, refreshMs); });
    };
    pollTimer = 0;
    run();
  }

  var dialog = document.getElementById('confirm-release');
  var pendingKey = null;

  function confirmRelease(key) {
    pendingKey = key;
    if (dialog && typeof dialog.showModal === 'function') {
      document.getElementById('confirm-release-key').textContent = key;
      dialog.returnValue = '';
      dialog.showModal();
    } else if (window.confirm('Force-release ' + key + '? Its holder loses the lock at once.')) {
      release(key);
    }
  }

  if (dialog) {
    dialog.addEventListener('close', function () {
      if (dialog.returnValue === 'release' && pendingKey !== null) release(pendingKey);
      var back = pendingKey === null ? null : document.querySelector('[data-focus="' + CSS.escape('release:' + pendingKey) + '"]');
      if (back) back.focus();
      pendingKey = null;
    });
  }

  var actionEl = document.getElementById('action-status');

  function release(key) {
    actionEl.textContent = 'Force-releasing ' + key + '…';
    fetch(api('api/locks/release'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ key: key }),
    })
      .then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) throw new Error(answer.message || 'HTTP ' + response.status);
          return answer;
        });
      })
      .then(function (outcome) {
        actionEl.textContent = outcome.released === 0 ? key + ' was not held: nothing released.' :
          'Force-released ' + key + ': ' + outcome.released + ' hold(s), fencing token(s) ' + outcome.fencingTokens.join(', ') + '.';
      })
      .catch(function (error) { actionEl.textContent = 'Force-release of ' + key + ' failed: ' + error.message; });
  }

  function askAdmin() {
    fetch(api('api/admin'), { cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (response) {
        mayRelease = response.ok;
        if (mayRelease && current) render(current);
      })
      .catch(function () { mayRelease = false; });
  }

  setInterval(tick, 250);
  askAdmin();
  connect();
})();
`;
