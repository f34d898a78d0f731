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
  $('#fixtures-source').textContent = config.fixtures.source + (config.reload.watching ? ' (watched)' : '');
  $('#quirks').textContent = config.quirks ? 'on' : 'off';
  $('#base-path').textContent = config.base_path || '—';
  $('#journal-size').textContent = config.journal.enabled ? `${config.journal.held}/${config.journal.size}` : 'off';
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
    el('td', {}, r.user || 'any'), el('td', {class: 'mono'}, r.params ? JSON.stringify(r.params) : ''))));
  $('#rules-box').querySelector('summary').textContent = `Fixtures rules (${rules.length})`;
}

// ---- scenarios ----

async function loadCatalog() {
  const cat = await getJSON('scenarios/catalog');
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

async function loadActive() {
  const data = await getJSON('scenarios');
  const rows = data.active.map((a) => el('tr', {dataset: {id: a.id}},
    el('td', {}, a.id), el('td', {class: 'mono'}, a.scenario), el('td', {}, a.scope || 'any'), el('td', {}, a.user || 'any'),
    el('td', {}, a.remaining ?? '∞'), el('td', {}, a.expires_at ? new Date(a.expires_at).toLocaleTimeString() : 'never'),
    el('td', {}, a.used),
    el('td', {}, el('button', {type: 'button', onclick: async () => {
      try { await write('DELETE', 'scenarios/' + a.id); } catch (e) { say(e.message, true); }
      loadActive();
    }}, 'off'))));
  $('#active tbody').replaceChildren(...rows);
  const name = (spec) => spec.trim().split(':')[0];
  const on = new Set(data.active.flatMap((a) => a.scenario.split(',').map(name)));
  for (const b of document.querySelectorAll('#switches button')) b.classList.toggle('on', on.has(name(b.dataset.scenario)));
}

// ---- journal ----

let lastID = 0;
let filterKey = '';
const MAX_ROWS = 500;

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
    const tr = el('tr', {dataset: {id: e.id}, onclick: () => showEntry(e.id, tr)},
      el('td', {}, e.id), el('td', {}, new Date(e.time).toLocaleTimeString()), el('td', {}, e.method),
      el('td', {class: 'url', title: e.url}, e.url), el('td', {}, e.user || ''), el('td', {class: 'mono'}, scen),
      el('td', {class: 's' + String(e.status)[0]}, e.status || 'none'), el('td', {}, e.duration_ms.toFixed(1)),
      el('td', {class: 'mono'}, e.job_request_id || ''), el('td', {}, (e.problems || []).length || ''));
    tb.prepend(tr);
  }
  while (tb.children.length > MAX_ROWS) tb.lastElementChild.remove();
}

async function showEntry(id, tr) {
  for (const r of document.querySelectorAll('#journal-table tr.selected')) r.classList.remove('selected');
  tr.classList.add('selected');
  const [entry, curl] = await Promise.all([getJSON('requests/' + id), fetch(API + 'requests/' + id + '/curl').then((r) => r.text())]);
  $('#entry').hidden = false;
  $('#entry-id').textContent = '#' + id + (entry.truncated ? ' (truncated: ' + Object.keys(entry.truncated).join(', ') + ')' : '');
  $('#entry-curl').textContent = curl;
  let body = entry.response_body;
  try { body = JSON.parse(body); } catch (e) { /* keep the text */ }
  $('#entry-json').textContent = JSON.stringify({...entry, response_body: body}, null, 2);
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
  } catch (e) {
    tb.replaceChildren();
    errBox.textContent = e.message;
    errBox.hidden = false;
    say('data: ' + e.message, true); // not the count of the rows no longer shown
  }
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

  await loadConfig();
  fillFixtures();
  fillDataForm();
  await loadCatalog();
  every(1000, pollJournal);
  every(1000, loadActive);
  every(5000, loadConfig);
  browse();
  document.body.dataset.ready = 'true';
}

main().catch((e) => say(e.message, true));
