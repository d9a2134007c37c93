// The control-room map for dispatchers and shift leads: the grid as the base map, cells shaded by open
// cases (or worst light), every open case as a marker by SLA light, clustered when zoomed out; a live list
// of what is in view, counters for today, and the case panel with the lifecycle's actions.
// Live events update the data in place (a few cases fetched by id, then a diff to the map source), never
// a reload of all the cases. With more open cases than one answer lists, the page is in large mode
// (viewport.js): areas shaded by the server's counts, the cases in view only, the filters on the server.
import "./map.css";
import { api, currentUser, escapeHtml, logout, remainingText, when } from "../common/api.js";
import { useLifecycle } from "../common/extension.js";
import { connectLive } from "../common/live.js";
import { notify } from "../common/notify.js";
import { applyI18n, langSwitch, statusLabel, t } from "../i18n/index.js";
import { beep, setSound, soundOn } from "./alert.js";
import { OPEN, TERMINAL, byUrgency, caseFeature, decodeAreas, decodeCases, matcher, metres, onMap, remainingNow, setDisplay } from "./data.js";
import { addBaseLayer, basemap } from "../common/basemap.js";
import { addLayers, CELL_ZOOM, clusterLabels, createMap, flash, loadCells, mapLibreLoaded, select, setShading } from "./layers.js";
import { CasePanel } from "./panel.js";
import { History } from "./history.js";
import { searchBox } from "./search.js";
import { showShift } from "./shift.js";
import { Viewport } from "./viewport.js";

const LIST_LIMIT = 200;
const COUNTERS = ["open", "due_today", "yellow", "red", "closed_today", "on_time_rate_today"];
const state = {
  cases: new Map(), // id → case
  shown: new Set(), // ids on the map (matching the filters)
  cellAgg: new Map(), // cell or community code → {n, r, y, g}: open cases and how many of each light
  filters: { status: "", category: "", department: "", area: "", urgency: "", light: "", time: "" },
  shading: "count",
  categories: {}, departments: [], lifecycle: {},
  areas: { cell: null, community: null, street: null, district: null },
  breached: new Map(), // id → until (ms): rows flashing
  map: null, panel: null, ready: false,
  large: false, // more open cases than one /map/cases answer lists: see viewport.js
};
let viewport = null; // large mode only
let history = null; // history mode (history.js), made once the map is up
let match = matcher(state.filters);

const $ = (sel) => document.querySelector(sel);

function categoryName(code) {
  const c = state.categories[code];
  if (!c) return code;
  return document.documentElement.lang === "en" ? c.name_en : c.name;
}

function areaName(code) {
  if (!code) return "";
  for (const level of ["district", "street", "community", "cell"]) {
    const name = state.areas[level]?.names.get(code);
    if (name) return name;
  }
  return code;
}

function shell(me) {
  document.querySelector("#app").innerHTML = `
    <header class="topbar map-top">
      <h1 class="title"><span data-i18n="map.title"></span> · ${escapeHtml(me.display_name || me.username)}</h1>
      <div class="counters" id="counters">${COUNTERS.map((k) => `
        <div class="counter ${k}" data-counter="${k}"><b>–</b><span data-i18n="map.counter.${k}"></span></div>`).join("")}</div>
      <span class="live" id="live" data-state="connecting"></span>
      <button id="shade" type="button"></button>
      <button id="sound" type="button" aria-pressed="false"></button>
      <span id="lang"></span>
      <button id="logout" data-i18n="logout"></button>
    </header>
    <section class="filters" id="filters" data-i18n-aria-label="map.filters"></section>
    <section class="filters history-bar" id="history-bar" data-i18n-aria-label="map.history.button" hidden></section>
    <dialog id="shift-dialog" class="shift-dialog"></dialog>
    <main class="map-layout">
      <div class="map-wrap">
        <div id="map" data-markers="0" data-ready="0"></div>
        <div class="loading" id="loading" data-i18n="map.loading"></div>
        <aside id="panel" class="case-panel" hidden></aside>
        <div id="toasts" class="toasts" aria-live="assertive"></div>
      </div>
      <section class="case-list">
        <div class="list-head" id="list-head"></div>
        <div id="list" role="list"></div>
      </section>
    </main>`;
  $("#lang").append(langSwitch(() => {
    renderFilters(); renderTopButtons(); renderLive(); renderList(); state.panel?.render(); history?.redraw();
    if ($("#shift-dialog").open) showShift($("#shift-dialog"));
  }));
  $("#logout").addEventListener("click", logout);
  $("#shade").addEventListener("click", () => {
    state.shading = state.shading === "count" ? "light" : "count";
    if (state.map?.getLayer("cell-fill")) setShading(state.map, state.shading);
    renderTopButtons();
  });
  $("#sound").addEventListener("click", () => { setSound(!soundOn()); renderTopButtons(); });
  renderTopButtons();
  applyI18n();
}

function renderLive() {
  const el = $("#live");
  el.textContent = el.dataset.state === "connecting" ? "" : t(el.dataset.state === "online" ? "map.live_on" : "map.live_off");
}

function renderTopButtons() {
  $("#shade").textContent = t(state.shading === "count" ? "map.shade.count" : "map.shade.light");
  $("#sound").textContent = t(soundOn() ? "map.sound.on" : "map.sound.off");
  $("#sound").setAttribute("aria-pressed", String(soundOn()));
  $("#sound").classList.toggle("on", soundOn());
}

// --- filters ---------------------------------------------------------------------------------------

function options(values, selected) {
  return values.map(([v, label]) => `<option value="${escapeHtml(v)}" ${v === selected ? "selected" : ""}>${escapeHtml(label)}</option>`).join("");
}

function renderFilters() {
  const f = state.filters;
  const en = document.documentElement.lang === "en";
  const cats = Object.values(state.categories);
  const majors = [...new Map(cats.map((c) => [c.major_code, c])).values()];
  const categoryOptions = [["", t("map.filter.all")], ["C", t("map.kind.C")], ["E", t("map.kind.E")],
    ...majors.map((c) => [c.major_code, `${c.major_code} ${en ? (c.major_name_en || c.major_code) : (c.major_name || c.major_code)}`]),
    ...cats.map((c) => [c.code, `· ${c.code} ${en ? c.name_en : c.name}`])];
  const areas = [];
  for (const level of ["district", "street", "community"]) {
    const a = state.areas[level];
    if (!a) continue;
    for (const [code, name] of a.names) areas.push([code, `${"· ".repeat(["district", "street", "community"].indexOf(level))}${name || code}`]);
  }
  areas.sort((x, y) => x[0].localeCompare(y[0]));
  const select = (key, values) => `<label class="filter"><span>${t(`map.filter.${key}`)}</span>
    <select data-filter="${key}">${options(values, f[key])}</select></label>`;
  $("#filters").innerHTML = [
    select("status", [["", t("map.filter.all_open")], ...OPEN.map((s) => [s, statusLabel(s)])]),
    select("category", categoryOptions),
    select("department", [["", t("map.filter.all")], ["-", t("map.filter.no_department")],
      ...state.departments.map((d) => [d.code, en ? (d.name_en || d.name) : d.name])]),
    select("area", [["", t("map.filter.all")], ...areas]),
    select("urgency", [["", t("map.filter.all")], ...["normal", "urgent", "critical"].map((u) => [u, t(`urgency.${u}`)])]),
    select("light", [["", t("map.filter.all")], ...["red", "yellow", "green"].map((l) => [l, t(`light.${l}`)])]),
    select("time", [["", t("map.filter.all")], ...["1h", "today", "24h", "7d", "30d"].map((k) => [k, t(`map.time.${k}`)])]),
    `<button type="button" id="reset-filters">${t("map.filter.reset")}</button>`,
    `<span class="filters-gap"></span><div id="search-box"></div>`,
    `<button type="button" id="history-toggle" aria-pressed="${history?.active ? "true" : "false"}">${t("map.history.button")}</button>`,
    `<button type="button" id="shift-open">${t("map.shift.button")}</button>`,
  ].join("");
  searchBox($("#search-box"), { categoryName, open: (id) => openCase(id, true) });
  $("#history-toggle").addEventListener("click", () => {
    if (!history) return;
    if (history.active) history.exit(); else history.enter();
    $("#history-toggle").setAttribute("aria-pressed", String(history.active));
    renderList();
  });
  $("#shift-open").addEventListener("click", () => showShift($("#shift-dialog")));
  $("#filters").querySelectorAll("select[data-filter]").forEach((s) => s.addEventListener("change", () => {
    state.filters[s.dataset.filter] = s.value;
    applyFilters(s.dataset.filter === "area");
  }));
  $("#reset-filters").addEventListener("click", () => {
    for (const k of Object.keys(state.filters)) state.filters[k] = "";
    renderFilters();
    applyFilters(false);
    const all = state.areas.district?.bounds || state.areas.cell?.bounds;
    if (all) state.map.fitBounds(all, { padding: 24, duration: 600 });
  });
}

function applyFilters(zoomToArea) {
  match = matcher(state.filters);
  rebuildMapData();
  viewport?.schedule(0); // large mode: the server filters the cases in view
  if (zoomToArea && state.filters.area) {
    const level = { 6: "district", 9: "street", 12: "community", 15: "cell" }[state.filters.area.length];
    const areas = state.areas[level];
    const i = areas?.index.get(state.filters.area);
    if (i !== undefined) {
      const b = boundsOf(areas.features[i].geometry);
      state.map.fitBounds(b, { padding: 40, duration: 600 });
    }
  }
}

function boundsOf(geometry) {
  let minx = Infinity; let miny = Infinity; let maxx = -Infinity; let maxy = -Infinity;
  const polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  for (const poly of polys) for (const [x, y] of poly[0]) {
    minx = Math.min(minx, x); maxx = Math.max(maxx, x); miny = Math.min(miny, y); maxy = Math.max(maxy, y);
  }
  return [[minx, miny], [maxx, maxy]];
}

// --- map data --------------------------------------------------------------------------------------

const COMMUNITY = 12; // digits of a community code: a cell code's first twelve

function aggAdd(c, sign) {
  const code = c.cell;
  for (const key of [code, code.slice(0, COMMUNITY)]) { // cells shade the close-up, communities the overview
    const entry = state.cellAgg.get(key) || { n: 0, r: 0, y: 0, g: 0 };
    entry.n += sign;
    if (c.light === "red") entry.r += sign; else if (c.light === "yellow") entry.y += sign; else if (c.light === "green") entry.g += sign;
    state.cellAgg.set(key, entry);
  }
  return code;
}

/** Feature state (open count, worst light) of the given cells and of their communities. */
function pushCellState(cellCodes) {
  if (state.large || !state.map?.getSource("cells")) return; // large mode: the server's counts shade
  const push = (source, areas, code) => {
    const id = areas?.index.get(code);
    if (id === undefined) return;
    const e = state.cellAgg.get(code) || { n: 0, r: 0, y: 0, g: 0 };
    state.map.setFeatureState({ source, id }, { n: e.n, w: e.r ? 3 : e.y ? 2 : e.g ? 1 : 0 });
  };
  const communities = new Set();
  for (const code of cellCodes) {
    if (code.length === COMMUNITY) { communities.add(code); continue; }
    push("cells", state.areas.cell, code);
    communities.add(code.slice(0, COMMUNITY));
  }
  for (const code of communities) push("communities", state.areas.community, code);
}

/** Everything from scratch: after loading or a filter change. */
function rebuildMapData() {
  const previous = [...state.cellAgg.keys()];
  state.cellAgg.clear();
  state.shown.clear();
  const features = [];
  for (const c of state.cases.values()) {
    if (!match(c)) continue;
    state.shown.add(c.id);
    features.push(caseFeature(c));
    aggAdd(c, 1);
  }
  if (state.map?.getSource("cases")) {
    state.map.getSource("cases").setData({ type: "FeatureCollection", features });
    pushCellState(new Set([...previous, ...state.cellAgg.keys()]));
  }
  $("#map").dataset.markers = String(state.shown.size);
  scheduleList();
}

/** Cases that arrived or changed: a diff for the map source, counts for their cells only. */
function upsert(fresh) {
  const add = []; const remove = []; const cells = new Set();
  for (const c of fresh) {
    const before = state.cases.get(c.id);
    if (before && state.shown.has(c.id)) {
      cells.add(aggAdd(before, -1));
      state.shown.delete(c.id);
      remove.push(c.id);
    }
    if (before && before.light !== "red" && c.light === "red" && !TERMINAL.has(c.status)) breach(c);
    if (TERMINAL.has(c.status)) { state.cases.delete(c.id); continue; }
    state.cases.set(c.id, c);
    if (match(c)) {
      state.shown.add(c.id);
      add.push(caseFeature(c));
      cells.add(aggAdd(c, 1));
    }
  }
  const source = state.map?.getSource("cases");
  if (source && (add.length || remove.length)) {
    source.updateData({ remove, add }).catch(() => rebuildMapData());
  }
  pushCellState(cells);
  $("#map").dataset.markers = String(state.shown.size);
  scheduleList();
}

function breach(c) {
  state.breached.set(c.id, Date.now() + 8000);
  if (state.map?.getSource("flash")) flash(state.map, [onMap(c)]);
  beep();
  const toast = document.createElement("button"); // opens the case: by keyboard too
  toast.type = "button";
  toast.className = "toast";
  toast.dataset.id = String(c.id);
  toast.textContent = t("map.breach", { case: c.case_number });
  toast.addEventListener("click", () => openCase(c.id, true));
  $("#toasts").prepend(toast);
  setTimeout(() => toast.remove(), 10000);
}

// --- the list --------------------------------------------------------------------------------------

let listPending = null;
function scheduleList() {
  if (listPending) return;
  listPending = setTimeout(() => { listPending = null; renderList(); }, 120);
}

function inView() {
  if (!state.map) return [];
  const b = state.map.getBounds();
  const out = [];
  for (const id of state.shown) {
    const c = state.cases.get(id);
    if (c && b.contains(onMap(c))) out.push(c);
  }
  return out;
}

function renderList() {
  if (history?.active) { renderReplay(); return; }
  if (viewport?.tooMany) {
    $("#list-head").innerHTML = `<span>${t("map.list.too_many", { n: viewport.total })}</span>`;
    $("#list").dataset.count = "0";
    $("#list").innerHTML = `<p class="muted more" data-too-many="${viewport.total}">${t("map.list.zoom_in")}</p>`;
    return;
  }
  const rows = inView().sort(byUrgency);
  $("#list-head").innerHTML = `<span>${t("map.list.count", { shown: rows.length, total: state.shown.size })}</span>`;
  $("#list").dataset.count = String(rows.length);
  $("#list").dataset.history = "";
  const now = Date.now();
  const selected = state.panel?.id;
  const html = rows.slice(0, LIST_LIMIT).map((c) => {
    const light = c.light || "none";
    const left = remainingNow(c);
    const flashing = (state.breached.get(c.id) || 0) > now;
    return `<div class="row ${selected === c.id ? "on" : ""} ${flashing ? "breach" : ""}" role="listitem" tabindex="0" data-id="${c.id}" data-light="${light}">
      <span class="light ${light}"></span>
      <span class="row-main"><span class="case">${escapeHtml(c.case_number)}</span>
        <span class="row-sub">${escapeHtml(categoryName(c.category))} · ${escapeHtml(statusLabel(c.status))}</span></span>
      <span class="countdown ${light}" data-countdown="${c.id}">${left === null ? "" : escapeHtml(remainingText(left, c))}</span></div>`;
  }).join("");
  $("#list").innerHTML = html + (rows.length > LIST_LIMIT ? `<p class="muted more">${t("map.list.more", { n: rows.length - LIST_LIMIT })}</p>` : "")
    + (rows.length ? "" : `<p class="muted more">${t("map.list.empty")}</p>`);
  listRole(rows.length);
}

/** The list is a list while it holds cases; a note alone (none in view, the replay loading) is not an empty list. */
function listRole(rows) {
  if (rows) $("#list").setAttribute("role", "list");
  else $("#list").removeAttribute("role");
}

/** History mode: the list follows the replay (the cases reported up to the slider's time), not the live cases. */
function renderReplay() {
  const rows = [...(state.replay || [])].reverse(); // the latest reported first
  $("#list-head").innerHTML = `<span>${t(state.replay ? "map.history.list" : "map.history.list_wait", { n: rows.length })}</span>`;
  $("#list").dataset.count = String(rows.length);
  $("#list").dataset.history = "1";
  const selected = state.panel?.id;
  $("#list").innerHTML = rows.slice(0, LIST_LIMIT).map((c) => `<div class="row ${selected === c.id ? "on" : ""}" role="listitem"
      tabindex="0" data-id="${c.id}" data-light="none"><span class="light none"></span>
      <span class="row-main"><span class="case">${escapeHtml(c.case_number)}</span>
        <span class="row-sub">${escapeHtml(categoryName(c.category))} · ${escapeHtml(statusLabel(c.status))}</span></span>
      <span class="countdown">${escapeHtml(when(new Date(c.created * 1000).toISOString()))}</span></div>`).join("")
    + (rows.length > LIST_LIMIT ? `<p class="muted more">${t("map.history.list_more", { n: rows.length - LIST_LIMIT })}</p>` : "")
    + (state.replay && !rows.length ? `<p class="muted more">${t("map.history.list_empty")}</p>` : "");
  listRole(rows.length);
}

function tick() {
  document.querySelectorAll("[data-countdown]").forEach((el) => {
    const c = state.cases.get(Number(el.dataset.countdown));
    const left = c && remainingNow(c);
    if (left !== null && left !== undefined) el.textContent = remainingText(left, c);
  });
}

// --- counters --------------------------------------------------------------------------------------

let countersBusy = false;
let countersAgain = false;
async function refreshCounters() {
  if (countersBusy) { countersAgain = true; return; }
  countersBusy = true;
  try {
    const c = await api("/stats/today");
    for (const key of COUNTERS) {
      const el = document.querySelector(`[data-counter="${key}"] b`);
      const v = c[key];
      el.textContent = v === null || v === undefined ? "–" : key === "on_time_rate_today" ? `${Math.round(v * 100)}%` : String(v);
      el.parentElement.dataset.value = String(v ?? "");
    }
  } catch { /* the next event retries */ } finally {
    countersBusy = false;
    if (countersAgain) { countersAgain = false; setTimeout(refreshCounters, 1000); }
  }
}

// --- the case panel --------------------------------------------------------------------------------

async function openCase(id, fly) {
  const panel = state.panel;
  // what is typed in an act's form is only dropped when the user says so
  if (panel.drafted && id !== panel.id) { panel.askDiscard(() => openCase(id, fly)); return; }
  const c = state.cases.get(id);
  const padding = { right: Math.min(500, state.map.getContainer().clientWidth / 2), top: 0, bottom: 0, left: 0 };
  if (c && fly) state.map.flyTo({ center: onMap(c), zoom: Math.max(state.map.getZoom(), 16), duration: 700, padding });
  if (panel.drafted) return; // the case being written about: its form stays as it is
  const detail = await panel.open(id);
  if (!detail) return; // another case was chosen while this one loaded: that one shows
  select(state.map, onMap(detail));
  if (!c && fly) state.map.flyTo({ center: onMap(detail), zoom: 16, duration: 700, padding });
  scheduleList();
}

function nearbyCases(d) {
  const out = [];
  for (const c of state.cases.values()) {
    if (c.id === d.id || c.category !== d.category_code || TERMINAL.has(c.status) || c.status.endsWith("_requested")) continue;
    const m = metres(d, c);
    if (m < 2000) out.push([m, c]);
  }
  return out.sort((a, b) => a[0] - b[0]).slice(0, 8).map((x) => x[1]);
}

// --- live ------------------------------------------------------------------------------------------

const pendingIds = new Set();
let pendingTimer = null;
function queue(id) {
  if (!id) return;
  pendingIds.add(id);
  clearTimeout(pendingTimer);
  pendingTimer = setTimeout(catchUp, 150);
}

async function catchUp() {
  const ids = [...pendingIds].slice(0, 500);
  ids.forEach((id) => pendingIds.delete(id));
  if (!ids.length) return;
  try {
    const fresh = decodeCases(await api("/map/cases", { query: { ids: ids.join(",") } }));
    const found = new Set(fresh.map((c) => c.id));
    // out of scope now (e.g. a department's case dispatched elsewhere): gone from this map
    const gone = ids.filter((id) => !found.has(id) && state.cases.has(id)).map((id) => ({ ...state.cases.get(id), status: "void" }));
    // large mode: only what is on screen (the cases in the box shown), the rest is in the area counts
    upsert([...(viewport ? fresh.filter((c) => state.cases.has(c.id) || viewport.wants(c)) : fresh), ...gone]);
    viewport?.dirty();
  } catch {
    ids.forEach((id) => pendingIds.add(id));
  }
  if (pendingIds.size) pendingTimer = setTimeout(catchUp, 500);
  if (state.panel.id && ids.includes(state.panel.id)) state.panel.reload().catch(() => {});
}

let countersTimer = null;
function onEvent(event) {
  if (event.kind === "notification") {
    notify(event, { onOpen: (id) => openCase(id, true) });
    return;
  }
  if (event.kind === "ticket.created" || event.kind === "ticket.changed") {
    queue(event.ticket_id);
  } else if (event.kind === "sla.light") {
    const c = state.cases.get(event.ticket_id);
    if (c && event.payload?.light === "red" && c.light !== "red") {
      upsert([{ ...c, light: "red", loadedAt: Date.now() }]);
    }
    queue(event.ticket_id);
  } else {
    return;
  }
  clearTimeout(countersTimer);
  countersTimer = setTimeout(refreshCounters, 400);
}

// --- start -----------------------------------------------------------------------------------------

function markReady() {
  if (state.ready) return;
  state.ready = true;
  window.__gridopsMapReady = performance.now();
  $("#map").dataset.ready = "1";
  $("#loading").hidden = true;
}

async function main() {
  const basePending = basemap();
  const me = await currentUser();
  shell(me);
  const base = await basePending; // before decoding: a GCJ-02 base map shifts what is drawn
  setDisplay(base.toMap);
  const level = (name) => api("/map/cells", { query: { level: name } }).then(decodeAreas);
  const loading = Promise.all([
    api("/categories"), api("/departments"), api("/lifecycle"),
    level("cell"), level("community"), level("street"), level("district"),
    api("/map/cases").then((payload) => {
      state.snapshotEvent = payload.last_event_id;
      state.large = payload.truncated;
      return decodeCases(payload);
    }),
  ]);
  // the map (WebGL context, workers) starts while the data is on its way
  await mapLibreLoaded;
  const map = createMap($("#map"), null);
  state.map = map;
  window.__gridopsMap = map; // for the benchmark and for debugging from the console
  const styled = new Promise((resolve) => map.on("load", resolve));
  const [cats, depts, lifecycle, cells, communities, streets, districts, cases] = await loading;
  performance.mark("gridops:data");
  useLifecycle(lifecycle);
  for (const c of cats) state.categories[c.code] = c;
  state.departments = depts;
  for (const row of lifecycle.acts) (state.lifecycle[row.action] ||= []).push(row); // an action's rows, in order
  state.publicNotes = new Set(lifecycle.acts.filter((row) => row.public_note).map((row) => row.action));
  OPEN.splice(0, OPEN.length, ...lifecycle.states.filter((x) => !x.final).map((x) => x.status));
  Object.assign(state.areas, { cell: cells, community: communities, street: streets, district: districts });
  for (const c of cases) state.cases.set(c.id, c);
  $("#map").dataset.cells = String(cells.features.length);
  renderFilters();
  const bounds = districts.bounds || cells.bounds;
  if (bounds) map.fitBounds(bounds, { padding: 24, duration: 0 });
  state.panel = new CasePanel({
    root: $("#panel"), categoryName, areaName, nearbyCases,
    departments: state.departments, lifecycle: state.lifecycle, publicNotes: state.publicNotes,
    onChanged: (detail) => { queue(detail.id); refreshCounters(); },
    onClose: () => { select(map, null); map.easeTo({ padding: { right: 0, top: 0, bottom: 0, left: 0 }, duration: 300 }); scheduleList(); },
  });
  await styled;
  addBaseLayer(map, base);
  const deferCells = map.getZoom() < CELL_ZOOM;
  addLayers(map, { cells: cells.features, communities: communities.features, streets: streets.features, districts: districts.features },
    { deferCells });
  setShading(map, state.shading);
  history = new History({ map, bar: $("#history-bar"), areas: state.areas, timeZone: me.timezone || "Asia/Shanghai",
    statuses: lifecycle.states.map((x) => x.status),
    onChange: (on, shown) => {
      $("#history-toggle")?.setAttribute("aria-pressed", String(on));
      state.replay = on ? shown : null; // the list shows these meanwhile
      renderList();
    } });
  rebuildMapData();
  if (state.large) {
    viewport = new Viewport({ map, areas: state.areas, filters: state.filters, shifted: base.shifted,
      onCases: (fresh) => { state.cases = new Map(fresh.map((c) => [c.id, c])); rebuildMapData(); },
      onChange: () => renderList() });
    map.on("moveend", () => viewport.schedule());
    await Promise.all([viewport.shade(true), viewport.cases()]);
  }
  performance.mark("gridops:layers");
  clusterLabels(map);
  map.once("idle", () => {
    markReady();
    if (deferCells) loadCells(map, cells.features); // ready for zooming in; feature states are kept
  });
  map.on("moveend", scheduleList);
  map.on("click", "clusters", async (e) => {
    const f = e.features[0];
    const zoom = await map.getSource("cases").getClusterExpansionZoom(f.properties.cluster_id);
    map.easeTo({ center: f.geometry.coordinates, zoom: Math.min(zoom, 18) });
  });
  map.on("click", "case-points", (e) => openCase(Number(e.features[0].properties.id), false));
  for (const layer of ["clusters", "case-points"]) {
    map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
  }
  $("#list").addEventListener("click", (e) => {
    const row = e.target.closest(".row[data-id]");
    if (row) openCase(Number(row.dataset.id), true);
  });
  $("#list").addEventListener("keydown", (e) => {  // the list by keyboard: Enter/Space open, arrows move
    const row = e.target.closest(".row[data-id]");
    if (!row) return;
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      openCase(Number(row.dataset.id), true);
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      (e.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling)?.focus();
    }
  });
  map.once("idle", () => refreshCounters());
  setInterval(tick, 1000);
  setInterval(refreshCounters, 60_000);
  connectLive(onEvent, { since: state.snapshotEvent, onStatus: (s) => { $("#live").dataset.state = s; renderLive(); } });
}

main();
