// bkjob-mock admin page: plain JavaScript, no build step. Everything it shows
// comes from the admin API under /__mock/; request data is always inserted as
// text, never as HTML.
'use strict';

const API = '/__mock/';
const $ = (sel) => document.querySelector(sel);

const STATUSES = {1: '等待执行', 2: '正在执行', 3: '执行成功', 4: '执行失败', 5: '跳过', 6: '忽略错误', 7: '等待用户',
  8: '手动结束', 9: '状态异常', 10: '强制终止中', 11: '强制终止成功', 13: '确认终止', 14: '被丢弃', 15: '滚动等待'};
const TYPES = {0: 'plan', 1: 'script', 2: 'file'};
const LAUNCH = {1: 'web', 2: 'API', 3: 'cron'};

// el builds an element; children are nodes or strings (inserted as text).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : String(c ?? ''));
  return e;
}

function say(msg, bad) {
  const p = $('#status-line');
  p.textContent = msg;
  p.className = bad ? 'error' : 'muted';
}

async function getJSON(path) {
  const r = await fetch(API + path, {cache: 'no-store'});
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error((body && body.mock_error && body.mock_error.message) || r.status + ' ' + r.statusText);
  return body;
}

// write sends an admin API write: JSON, so that a cross-origin page would need
// a preflight the mock never grants; the token if one was typed.
async function write(method, path, body) {
  const headers = {'Content-Type': 'application/json'};
  const token = $('#admin-token').value.trim();
  if (token) headers['X-Mock-Admin-Token'] = token;
  const r = await fetch(API + path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { /* not JSON */ }
  if (!r.ok) throw new Error((data && data.mock_error && data.mock_error.message) || r.status + ' ' + text);
  return data;
}

function fmtTime(ms) {
  if (ms === undefined || ms === null) return '';
  const d = new Date(ms);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// utc formats an instant (ms or an RFC 3339 string) as UTC, to the
// millisecond when ms is true: the page shows every instant in UTC, labelled
// as the mock's clock or the wall clock.
function utc(t, withMS) {
  const s = new Date(t).toISOString().replace('T', ' ');
  return withMS ? s.slice(0, 23) : s.slice(0, 19);
}

function localInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 19);
}

// ---- config and fixtures ----

let config = null;

async function loadConfig() {
  config = await getJSON('config');
  $('#seed').textContent = config.seed;
  $('#now').textContent = config.now + ' (' + config.now_ms + ')';
  $('#clock-mode').textContent = config.clock;
  $('#wall').textContent = utc(config.wall) + 'Z';
  $('#fixtures-source').textContent = config.fixtures.source + (config.reload.watching ? ' (watched)' : '');
  $('#quirks').textContent = config.quirks ? 'on' : 'off';
  $('#base-path').textContent = config.base_path || '—';
  $('#journal-size').textContent = config.journal.enabled ? `${config.journal.held}/${config.journal.size}` : 'off';
  // A proxy (bkjob-mock proxy) has no scenarios or data of its own, and checks answers against the contract.
  document.body.classList.toggle('proxy', !!config.proxy);
  if (config.proxy) $('#upstream').textContent = config.proxy.upstream + ` (timeout ${config.proxy.timeout})`;
  const err = $('#reload-error');
  err.hidden = !config.reload.error;
  err.textContent = config.reload.error ? 'Fixtures not reloaded, the previous ones stay: ' + config.reload.error : '';
  return config;
}

function fillFixtures() {
  const scopes = config.fixtures.scopes;
  const tb = $('#scopes tbody');
  tb.replaceChildren(...scopes.map((s) => el('tr', {}, el('td', {class: 'mono'}, s.scope), el('td', {}, s.name), el('td', {}, s.tasks_per_minute))));
  $('#users tbody').replaceChildren(...config.fixtures.users.map((u) => el('tr', {}, el('td', {class: 'mono'}, u.name), el('td', {class: 'mono'}, (u.scopes || []).join(', ')))));
  for (const sel of [$('#opt-scope'), $('#data-scope')]) {
    const keep = sel.id === 'opt-scope' ? [el('option', {value: ''}, 'any')] : [];
    sel.replaceChildren(...keep, ...scopes.map((s) => el('option', {value: s.scope}, `${s.scope} ${s.name}`)));
  }
  const rules = config.fixtures.rules || [];
  $('#rules tbody').replaceChildren(...rules.map((r) => el('tr', {},
    el('td', {class: 'mono'}, r.source), el('td', {class: 'mono'}, r.scenario), el('td', {}, r.scope || 'any'),
    el('td', {}, r.user || 'any'), el('td', {class: 'mono'}, r.params ? JSON.stringify(r.params) : ''), el('td', {}, ''))));
  $('#rules-box').querySelector('summary').textContent = `Fixtures rules (${rules.length})`;
}

// ---- scenarios ----

// scenarioKey is a scenario as the admin API writes an activation's part of
// it: an enum argument left out is its default (rate-limited is
// rate-limited:stage); everything else as written.
const enumDefaults = new Map();
function scenarioKey(spec) {
  const [name, arg] = spec.trim().split(/:(.*)/s);
  const n = name.trim().toLowerCase();
  if (arg === undefined && enumDefaults.has(n)) return n + ':' + enumDefaults.get(n);
  return arg === undefined ? n : n + ':' + arg.trim();
}

async function loadCatalog() {
  const cat = await getJSON('scenarios/catalog');
  for (const s of cat.scenarios) if (s.args && s.args.length && s.default) enumDefaults.set(s.name, s.default);
  const groups = new Map();
  for (const s of cat.scenarios) {
    if (!groups.has(s.group)) groups.set(s.group, []);
    groups.get(s.group).push(s);
  }
  const box = $('#switches');
  box.replaceChildren();
  for (const [group, list] of groups) {
    const fs = el('fieldset', {}, el('legend', {}, group));
    for (const s of list) {
      const spec = s.name === 'latency' ? 'latency:1s' : s.name;
      fs.append(el('button', {type: 'button', title: `${s.syntax}: ${s.summary}`, dataset: {scenario: spec}, onclick: () => switchOn(spec)}, spec), ' ');
    }
    box.append(fs);
  }
}

async function switchOn(spec) {
  const body = {scenario: spec};
  const scope = $('#opt-scope').value;
  const user = $('#opt-user').value.trim();
  const count = Number($('#opt-count').value);
  const seconds = Number($('#opt-seconds').value);
  if (scope) body.scope = scope;
  if (user) body.user = user;
  if (count > 0) body.count = count;
  if (seconds > 0) body.seconds = seconds;
  try {
    const a = await write('POST', 'scenarios', body);
    say(`switched on #${a.id}: ${a.scenario}`);
  } catch (e) {
    say(e.message, true);
  }
  loadActive();
}

// hiddenCell says which sources win over an activation or rule on every
// request it matches, so that it never acts while they last.
function hiddenCell(by) {
  if (!by || !by.length) return el('td', {class: 'hidden-by'}, '');
  return el('td', {class: 'hidden-by warn', title: 'never applied while these last: they take the same slots for every request this one matches'},
    'hidden by ' + by.join(', ') + (by.length > 1 ? ' (they win)' : ' (it wins)'));
}

async function loadActive() {
  const data = await getJSON('scenarios');
  const rows = data.active.map((a) => el('tr', {dataset: {id: a.id}, class: a.hidden_by ? 'is-hidden' : ''},
    el('td', {}, a.id), el('td', {class: 'mono'}, a.scenario), el('td', {}, a.scope || 'any'), el('td', {}, a.user || 'any'),
    el('td', {}, a.remaining ?? '∞'), el('td', {}, a.expires_at ? utc(a.expires_at) + 'Z' : 'never'),
    el('td', {}, a.used), hiddenCell(a.hidden_by),
    el('td', {}, el('button', {type: 'button', onclick: async () => {
      try { await write('DELETE', 'scenarios/' + a.id); } catch (e) { say(e.message, true); }
      loadActive();
    }}, 'off'))));
  $('#active tbody').replaceChildren(...rows);
  const rules = data.rules || [];
  [...$('#rules tbody').rows].forEach((tr, i) => { if (rules[i]) tr.cells[5].replaceWith(hiddenCell(rules[i].hidden_by)); });
  // A switch is lit when an activation holds exactly its scenario (latency:1s, not latency:2s).
  const on = new Set(data.active.flatMap((a) => a.scenario.split(',').map(scenarioKey)));
  for (const b of document.querySelectorAll('#switches button')) b.classList.toggle('on', on.has(scenarioKey(b.dataset.scenario)));
}

// ---- journal ----

let lastID = 0;
let filterKey = '';
const MAX_ROWS = 500;
let shown = []; // the entries of the journal table, newest first, for the timeline

// requestCell shows the path and every query parameter decoded, wrapping, so
// that parameters that differ between rows are all in sight.
function requestCell(url) {
  const [path, query] = url.split(/\?(.*)/s);
  const td = el('td', {class: 'url'}, el('span', {class: 'path'}, path));
  if (query !== undefined) {
    td.append('?');
    let first = true;
    for (const pair of query.split('&')) {
      if (!first) td.append('&');
      first = false;
      const [k, v] = pair.split(/=(.*)/s);
      td.append(el('span', {class: 'qp'}, decode(k) + (v === undefined ? '' : '=' + decode(v))));
    }
  }
  return td;
}

// decode decodes a query component as a server would (+ is a space); text it
// cannot decode is shown as sent.
function decode(s) {
  try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch (e) { return s; }
}

// contractCell shows what the proxy's inspection found in an answer: the
// number of findings and their checks, "ok", or why it was not checked.
function contractCell(c) {
  if (!c) return el('td', {class: 'proxy-only'});
  if (!c.inspected) return el('td', {class: 'proxy-only muted'}, 'not checked' + (c.note ? ': ' + c.note : ''));
  const n = c.findings.length;
  if (!n) return el('td', {class: 'proxy-only contract-ok'}, 'ok');
  return el('td', {class: 'proxy-only contract-findings mono'}, `${n}: ${c.findings.map((f) => f.check).join(', ')}`);
}

function journalQuery() {
  const f = new FormData($('#journal-filter'));
  const q = new URLSearchParams();
  for (const [k, v] of f) if (v) q.set(k, v);
  return q;
}

async function pollJournal() {
  if ($('#journal-pause').checked) return;
  const q = journalQuery();
  const key = q.toString();
  if (key !== filterKey) {
    filterKey = key;
    lastID = 0;
    $('#journal-table tbody').replaceChildren();
    shown = [];
    $('#har-link').href = API + 'requests.har' + (key ? '?' + key : '');
  }
  q.set('since', lastID);
  q.set('limit', 200);
  const data = await getJSON('requests?' + q);
  const tb = $('#journal-table tbody');
  // entries come newest first
  for (const e of data.entries.slice().reverse()) {
    lastID = Math.max(lastID, e.id);
    const scen = (e.scenarios || []).map((s) => `${s.name} (${s.source})`).join(', ') || (e.mock_error ? 'mock: ' + e.mock_error : '');
    const tr = el('tr', {dataset: {id: e.id}, onclick: () => { location.hash = '#/requests/' + e.id; }},
      el('td', {}, e.id), el('td', {class: 'mono'}, utc(e.time, true).slice(11)), el('td', {class: 'mono'}, utc(e.mock_time, true)),
      el('td', {}, e.method), requestCell(e.url), el('td', {}, e.user || ''), el('td', {class: 'mono'}, scen),
      el('td', {class: 's' + String(e.status)[0]}, e.status || 'none'), el('td', {}, e.duration_ms.toFixed(1)),
      el('td', {class: 'mono'}, e.bkapi_request_id || ''), el('td', {}, (e.problems || []).length || ''), contractCell(e.contract));
    tb.prepend(tr);
    shown.unshift(e);
  }
  while (tb.children.length > MAX_ROWS) tb.lastElementChild.remove();
  shown.length = Math.min(shown.length, MAX_ROWS);
  if (data.entries.length || !$('#timeline').childElementCount) drawTimeline();
  markSelected();
}

// ---- timeline: one mark per request shown, over wall-clock time ----

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : String(c ?? ''));
  return e;
}

// drawTimeline draws the journal table's entries, oldest left: each where
// its request came (wall clock), moved aside just enough that no mark covers
// another; the height is its duration (log scale, the longest full height),
// the colour its status class. A click opens the entry.
function drawTimeline() {
  const box = $('#timeline');
  const W = 1000, H = 90, pad = 6;
  if (!shown.length) {
    box.replaceChildren();
    $('#timeline-caption').textContent = 'no requests yet';
    return;
  }
  const list = shown.slice().reverse();
  const times = list.map((e) => Date.parse(e.time));
  const t0 = times[0], t1 = times[times.length - 1];
  const longest = Math.max(...list.map((e) => e.duration_ms), 1);
  const gap = Math.min(8, (W - 2 * pad) / list.length);
  const xs = times.map((t) => t1 === t0 ? pad : pad + (W - 2 * pad) * (t - t0) / (t1 - t0));
  for (let i = 1; i < xs.length; i++) xs[i] = Math.max(xs[i], xs[i - 1] + gap);
  xs[xs.length - 1] = Math.min(xs[xs.length - 1], W - pad);
  for (let i = xs.length - 2; i >= 0; i--) xs[i] = Math.min(xs[i], xs[i + 1] - gap);
  const h = (ms) => 10 + (H - 14) * Math.log1p(ms) / Math.log1p(longest);
  const marks = list.map((e, i) => svg('rect', {
    class: 'mark s' + String(e.status)[0], 'data-id': e.id, 'data-status': e.status,
    x: (xs[i] - gap * 0.4).toFixed(1), y: (H - h(e.duration_ms)).toFixed(1), width: (gap * 0.8).toFixed(1), height: h(e.duration_ms).toFixed(1),
    onclick: () => { location.hash = '#/requests/' + e.id; },
  }, svg('title', {}, `#${e.id} ${e.status || 'no answer'} ${e.duration_ms.toFixed(1)} ms ${utc(e.time, true)}Z`)));
  box.replaceChildren(svg('line', {x1: 0, x2: W, y1: H - 0.5, y2: H - 0.5, class: 'axis'}), ...marks);
  $('#timeline-caption').textContent = `${list.length} requests, ${utc(t0, true)}Z to ${utc(t1, true)}Z (wall clock); ` +
    `height: duration (log scale, longest ${longest.toFixed(1)} ms); colour: status class`;
}

// ---- one entry: #/requests/ID ----

let openID = null;

function markSelected() {
  for (const tr of document.querySelectorAll('#journal-table tbody tr')) tr.classList.toggle('selected', Number(tr.dataset.id) === openID);
  for (const m of document.querySelectorAll('#timeline rect')) m.classList.toggle('selected', Number(m.dataset.id) === openID);
}

function kvRows(pairs) {
  return pairs.map(([k, v]) => el('tr', {}, el('td', {class: 'mono'}, k), el('td', {class: 'mono wrap'}, v)));
}

function headerPairs(h) {
  return Object.keys(h || {}).sort().flatMap((k) => h[k].map((v) => [k, v]));
}

// route shows what the location's hash names: #/requests/ID opens that entry.
async function route() {
  const m = location.hash.match(/^#\/requests\/(\d+)$/);
  if (!m) {
    openID = null;
    $('#entry').hidden = true;
    markSelected();
    return;
  }
  await showEntry(Number(m[1]));
}

async function showEntry(id) {
  openID = id;
  markSelected();
  const box = $('#entry');
  let entry;
  try {
    entry = await getJSON('requests/' + id);
  } catch (e) {
    box.hidden = true;
    say(`request #${id}: ${e.message}`, true);
    return;
  }
  if (openID !== id) return; // another entry was opened meanwhile
  const wasHidden = box.hidden;
  box.hidden = false;
  if (wasHidden) box.scrollIntoView({block: 'nearest'});
  const link = $('#entry-id');
  link.textContent = '#' + id + (entry.truncated ? ' (truncated: ' + Object.keys(entry.truncated).join(', ') + ')' : '');
  link.href = '#/requests/' + id;
  $('#entry-har').href = API + 'requests/' + id + '/har';
  $('#entry-har').setAttribute('download', `bkjob-mock-${id}.har`);
  $('#entry-curl').hidden = true;
  $('#entry-curl').textContent = '';
  $('#entry-request-line').textContent = `${entry.method} ${entry.url} HTTP/1.1\nHost: ${entry.host}`;

  const facts = [
    ['wall clock', utc(entry.time, true) + 'Z'], ['mock clock', utc(entry.mock_time, true) + 'Z'],
    ['duration', entry.duration_ms.toFixed(1) + ' ms'], ['api', entry.api || '(no route)'], ['app', entry.app || ''],
    ['user', entry.user || ''], ['scope', entry.scope || ''], ['X-Bkapi-Request-Id', entry.bkapi_request_id || ''],
    ['job_request_id', entry.job_request_id || ''], ['X-Mock-Scenario sent', entry.scenario_header || ''],
  ];
  if (entry.mock_error) facts.push(['mock error', entry.mock_error]);
  if (entry.upstream_error) facts.push(['upstream error', entry.upstream_error]);
  $('#entry-facts').replaceChildren(...facts.map(([k, v]) => el('div', {dataset: {fact: k}}, el('dt', {}, k), el('dd', {}, v))));

  const [, query] = entry.url.split(/\?(.*)/s);
  const params = query === undefined ? [] : query.split('&').map((p) => { const [k, v] = p.split(/=(.*)/s); return [decode(k), v === undefined ? '' : decode(v)]; });
  $('#entry-query tbody').replaceChildren(...kvRows(params));
  $('#entry-request-headers tbody').replaceChildren(...kvRows(headerPairs(entry.request_headers)));
  const scen = entry.scenarios || [];
  $('#entry-scenarios tbody').replaceChildren(...(scen.length ? scen.map((u) => el('tr', {}, el('td', {class: 'mono'}, u.name), el('td', {class: 'mono'}, u.source)))
    : [el('tr', {class: 'none'}, el('td', {colspan: 2, class: 'muted'}, 'none'))]));
  const probs = entry.problems || [];
  $('#entry-problems tbody').replaceChildren(...(probs.length ? probs.map((p) => el('tr', {class: p.reported ? 'reported' : ''},
    el('td', {}, p.reported ? '▶ reported' : 'also'), el('td', {class: 'mono'}, p.param), el('td', {class: 'mono'}, p.code),
    el('td', {}, p.message), el('td', {}, p.detail || ''), el('td', {}, p.found || '')))
    : [el('tr', {class: 'none'}, el('td', {colspan: 6, class: 'muted'}, 'none'))]));

  const contract = entry.contract;
  $('#entry-contract-note').textContent = !contract ? 'not an answer of the API: not checked'
    : !contract.inspected ? 'not checked: ' + (contract.note || '') + (entry.upstream_error ? ' (' + entry.upstream_error + ')' : '')
      : contract.findings.length ? '' : 'checked: no rule broken';
  $('#entry-contract tbody').replaceChildren(...(contract && contract.findings.length ? contract.findings.map((f) => el('tr', {},
    el('td', {class: 'mono'}, f.check), el('td', {class: 'wrap'}, f.message)))
    : [el('tr', {class: 'none'}, el('td', {colspan: 2, class: 'muted'}, 'none'))]));
  const st = $('#entry-status');
  st.textContent = entry.status ? String(entry.status) : 'none (no answer)';
  st.className = 's' + String(entry.status)[0];
  $('#entry-response-headers tbody').replaceChildren(...kvRows(headerPairs(entry.response_headers)));
  let body = entry.response_body || '';
  try { body = JSON.stringify(JSON.parse(body), null, 2); } catch (e) { /* not JSON: as sent */ }
  $('#entry-body').textContent = body;

  const again = $('#entry-again');
  again.hidden = !scen.length;
  again.onclick = () => switchOnAgain(entry);
  if (scen.length) {
    const who = [entry.user && 'for ' + entry.user, entry.scope && 'on ' + entry.scope].filter(Boolean).join(' ');
    again.textContent = `Switch ${scen.map((u) => u.name).join(', ')} on again${who ? ' ' + who : ''}`;
  }
  $('#entry-curl-button').onclick = () => showCurl(id);
}

// switchOnAgain switches the scenarios applied to entry on through the admin
// API, for the entry's user and scope: what reproduces this exchange.
async function switchOnAgain(entry) {
  const body = {scenario: entry.scenarios.map((u) => u.name).join(', ')};
  if (entry.scope) body.scope = entry.scope;
  if (entry.user) body.user = entry.user;
  try {
    const a = await write('POST', 'scenarios', body);
    say(`switched on #${a.id}: ${a.scenario}${a.user ? ' for ' + a.user : ''}${a.scope ? ' on ' + a.scope : ''}`);
  } catch (e) {
    say(e.message, true);
  }
  loadActive();
}

async function showCurl(id) {
  const pre = $('#entry-curl');
  try {
    const r = await fetch(API + 'requests/' + id + '/curl', {cache: 'no-store'});
    pre.textContent = await r.text();
    pre.hidden = false;
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(pre.textContent).catch(() => {});
  } catch (e) {
    say('curl: ' + e.message, true);
  }
}

// ---- data browser ----

// field returns the control of form f called name. It goes through namedItem
// because a form and its elements collection have properties of their own
// that shadow controls of the same name: f.elements['length'] is the number
// of controls, f.name and f.action are the form's attributes.
function field(f, name) {
  const c = f.elements.namedItem(name);
  if (!c) throw new Error(`no field ${name} in #${f.id}`);
  return c;
}

function fillDataForm() {
  const f = $('#data-form');
  const st = field(f, 'status');
  for (const [k, v] of Object.entries(STATUSES)) st.append(el('option', {value: k}, `${k} ${v}`));
  field(f, 'to').value = localInput(config.now_ms);
  field(f, 'from').value = localInput(config.now_ms - 24 * 3600 * 1000);
}

// dataQuery reads the data form into the API's query parameters.
function dataQuery(f) {
  const q = new URLSearchParams();
  const [typ, id] = (field(f, 'scope').value || ':').split(':');
  q.set('bk_scope_type', typ);
  q.set('bk_scope_id', id);
  const from = field(f, 'from').value;
  const to = field(f, 'to').value;
  if (from) q.set('create_time_start', new Date(from).getTime());
  if (to) q.set('create_time_end', new Date(to).getTime());
  for (const name of ['job_instance_id', 'operator', 'name', 'status', 'type', 'launch_mode', 'ip', 'job_cron_id', 'offset', 'length']) {
    const v = field(f, name).value.trim();
    if (v) q.set(name, v);
  }
  return q;
}

// browse lists the tasks the data form asks for. Any failure (a bad value, a
// refused query, the mock unreachable, a bug here) goes to #data-error and
// empties the table, so that what is shown always answers the form.
async function browse(ev) {
  if (ev) ev.preventDefault();
  const errBox = $('#data-error');
  const tb = $('#data-table tbody');
  try {
    const body = await getJSON('data?' + dataQuery($('#data-form')));
    const rows = body.data.job_instance_list.map((j) => el('tr', {},
      el('td', {class: 'mono'}, j.job_instance_id), el('td', {}, fmtTime(j.create_time)), el('td', {}, j.name),
      el('td', {}, j.operator), el('td', {}, TYPES[j.type] ?? j.type), el('td', {}, LAUNCH[j.launch_mode] ?? j.launch_mode),
      el('td', {}, `${j.status} ${STATUSES[j.status] || ''}`), el('td', {}, fmtTime(j.start_time)), el('td', {}, fmtTime(j.end_time)),
      el('td', {}, j.total_time ?? ''), el('td', {class: 'mono'}, j.job_plan_id > 0 ? `${j.job_plan_id}/${j.job_template_id}` : '')));
    tb.replaceChildren(...rows);
    errBox.hidden = true;
    errBox.textContent = '';
    say(`${rows.length} tasks`);
    drawChart($('#data-form')).catch((e) => { $('#chart-caption').textContent = 'chart: ' + e.message; });
  } catch (e) {
    tb.replaceChildren();
    $('#data-chart').replaceChildren();
    $('#chart-caption').textContent = '';
    $('#chart-legend').replaceChildren();
    errBox.textContent = e.message;
    errBox.hidden = false;
    say('data: ' + e.message, true); // not the count of the rows no longer shown
  }
}

// ---- the chart of the scope's history ----

// STATUS_COLOURS: greens for done, blues for under way, reds and greys for
// failed or stopped.
const STATUS_COLOURS = {1: '#93c5fd', 2: '#2563eb', 3: '#16a34a', 4: '#dc2626', 5: '#a3a3a3', 6: '#f59e0b', 7: '#7c3aed',
  8: '#525252', 9: '#991b1b', 10: '#fb7185', 11: '#be123c', 13: '#0f766e', 14: '#78716c', 15: '#0891b2'};

// drawChart draws the tasks of the form's scope and window per hour, stacked
// by status (GET /__mock/data/histogram; the other filters do not apply).
async function drawChart(f) {
  const q = dataQuery(f);
  const hq = new URLSearchParams();
  for (const k of ['bk_scope_type', 'bk_scope_id', 'create_time_start', 'create_time_end']) if (q.get(k)) hq.set(k, q.get(k));
  const h = await getJSON('data/histogram?' + hq);
  const W = 1000, H = 160;
  const box = $('#data-chart');
  const n = h.buckets.length;
  const most = Math.max(1, ...h.buckets.map((b) => b.total));
  const bw = n ? W / n : W;
  const bars = h.buckets.map((b, i) => {
    let y = H;
    const g = svg('g', {'data-start': b.start, 'data-total': b.total});
    for (const st of h.statuses) {
      const c = b.by_status[st] || 0;
      if (!c) continue;
      const hh = H * c / most;
      y -= hh;
      g.append(svg('rect', {x: (bw * i + bw * 0.1).toFixed(2), y: y.toFixed(2), width: (bw * 0.8).toFixed(2), height: hh.toFixed(2),
        fill: STATUS_COLOURS[st] || '#000', 'data-status': st, 'data-count': c},
        svg('title', {}, `${utc(b.start)}Z +1h: ${c} × ${st} ${STATUSES[st] || ''} (${b.total} in the hour)`)));
    }
    return g;
  });
  box.replaceChildren(...bars);
  $('#chart-caption').textContent = `${h.total} tasks of ${h.scope} per hour, ${utc(h.from)}Z to ${utc(h.to)}Z (mock clock; window only, filters not applied); tallest hour ${most}`;
  const totals = {};
  for (const b of h.buckets) for (const [st, c] of Object.entries(b.by_status)) totals[st] = (totals[st] || 0) + c;
  $('#chart-legend').replaceChildren(...h.statuses.map((st) => el('span', {class: 'key', dataset: {status: st, count: totals[st]}},
    el('i', {}), `${st} ${STATUSES[st] || ''}: ${totals[st]}`)));
  for (const k of document.querySelectorAll('#chart-legend .key i')) k.style.background = STATUS_COLOURS[k.parentElement.dataset.status] || '#000';
}

// ---- wiring ----

function every(ms, fn) {
  const run = () => fn().catch((e) => say(e.message, true)).finally(() => setTimeout(run, ms));
  run();
}

async function main() {
  const saved = sessionStorage.getItem('bkjob-mock-admin-token');
  if (saved) $('#admin-token').value = saved;
  $('#admin-token').addEventListener('change', (e) => sessionStorage.setItem('bkjob-mock-admin-token', e.target.value));
  $('#custom-scenario').addEventListener('submit', (e) => { e.preventDefault(); const v = $('#custom-spec').value.trim(); if (v) switchOn(v); });
  $('#clear-scenarios').addEventListener('click', async () => {
    try { await write('DELETE', 'scenarios'); say('every admin scenario off'); } catch (e) { say(e.message, true); }
    loadActive();
  });
  $('#clear-journal').addEventListener('click', async () => {
    try { await write('DELETE', 'requests'); $('#journal-table tbody').replaceChildren(); say('journal cleared'); } catch (e) { say(e.message, true); }
  });
  $('#journal-filter').addEventListener('submit', (e) => e.preventDefault());
  $('#data-form').addEventListener('submit', browse);
  $('#entry-close').addEventListener('click', () => { location.hash = ''; });
  window.addEventListener('hashchange', route);

  await loadConfig();
  fillFixtures();
  fillDataForm();
  await loadCatalog();
  every(1000, pollJournal);
  every(1000, loadActive);
  every(5000, loadConfig);
  if (!config.proxy) browse();
  route();
  document.body.dataset.ready = 'true';
}

main().catch((e) => say(e.message, true));
