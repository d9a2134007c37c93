// The department workbench: the department's queue sorted by remaining working time, live countdowns
// and lights; accept, return, extension, suspension, resolve with after-photos; closed cases with their
// on-time result. Buttons come from the case's allowed_actions (the lifecycle table), not from here.
import "./desk.css";
import { actorText, api, contactText, currentUser, escapeHtml, eventNote, isStale, logout, PUBLIC_SOURCES, remainingText, when }
  from "../common/api.js";
import { askDiscard, hasDraft } from "../common/draft.js";
import { useLifecycle } from "../common/extension.js";
import { connectLive } from "../common/live.js";
import { notify } from "../common/notify.js";
import { actionLabel, applyI18n, langSwitch, statusLabel, t } from "../i18n/index.js";
import { draftOf, openActForm, PHOTO_RULE } from "./actform.js";
import { byLight, EMPTY, renderFilters, ticketQuery } from "./filters.js";
import { dropMinimap, showMinimap } from "./minimap.js";
import { drawRectify, loadRectify, offerRectify } from "./rectify.js";

const OPEN = ["dispatched", "accepted", "rework", "return_requested", "extension_requested",
  "suspension_requested", "suspended", "resolved"];
// The queue in the order of what the department must do first: cases to accept, then cases in hand (by
// deadline), then cases waiting for someone else (the centre's check, an answer to a request, a suspension).
const RANK = { dispatched: 0, accepted: 1, rework: 1 };
const rank = (item) => RANK[item.status] ?? 2;
const state = { tab: "queue", items: [], selected: null, detail: null, categories: {}, departments: {}, needsPhoto: new Set(), publicNotes: new Set(), loadedAt: Date.now(),
  filters: { ...EMPTY }, checked: new Set(), bulk: null, live: null };

function categoryName(code) {
  const c = state.categories[code];
  if (!c) return code;
  return document.documentElement.lang === "en" ? c.name_en : c.name;
}

function shell(me) {
  document.querySelector("#app").innerHTML = `
    <header class="topbar">
      <h1 class="title"><span data-i18n="desk.title"></span> · ${escapeHtml(me.display_name || me.username)}</h1>
      <span class="live muted" id="live"></span>
      <span id="lang"></span>
      <button id="logout" data-i18n="logout"></button>
    </header>
    <div class="desk">
      <aside>
        <form class="search" role="search" id="search">
          <input type="search" name="q" maxlength="100" data-i18n-placeholder="desk.search_hint" data-i18n-title="desk.search_hint"
            data-i18n-aria-label="desk.search_hint">
          <button type="submit" data-i18n="desk.search"></button>
        </form>
        <div class="tabs">
          <button data-tab="queue" class="on" data-i18n="desk.queue"></button>
          <button data-tab="history" data-i18n="desk.history"></button>
          <button data-tab="appeals" data-i18n="desk.appeals"></button>
          <button data-tab="rectify" hidden><span data-i18n="desk.rectify"></span> <span class="count" id="rect-count"></span></button>
        </div>
        <details class="filter-box" id="filter-box"><summary data-i18n="desk.filters"></summary>
          <div class="filters" id="filters"></div></details>
        <div class="bulk" id="bulk"></div>
        <div id="list"></div>
        <p class="keys muted" id="keys" data-i18n="desk.keys"></p>
      </aside>
      <main id="detail"><p class="muted" data-i18n="desk.choose"></p></main>
    </div>`;
  document.querySelector("#lang").append(langSwitch(() => {
    const draft = draftOf(document.querySelector("#form"));  // an open form is drawn again in the new words, as filled in
    drawFilters(); renderList(); renderDetail(); showLive();
    if (draft && state.detail) start(draft.action, draft);
  }));
  document.querySelector("#search").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    state.filters = { ...state.filters, q: ev.target.q.value.trim() };
    await load();
    if (state.filters.q && state.items.length === 1) choose(state.items[0].id); // one hit: straight to the case
  });
  // open on a desk; on a phone folded away above the list until asked for
  document.querySelector("#filter-box").open = matchMedia("(min-width: 761px)").matches;
  document.querySelector("#logout").addEventListener("click", logout);
  document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => {
    const form = document.querySelector("#form [data-form]");  // the tab's list replaces the case: typed text asks first
    if (hasDraft(form)) askDiscard(form, () => { form.remove(); showTab(b); }); else showTab(b);
  }));
  applyI18n();
}

/** The tab ``button`` chosen: its list, no case shown. */
function showTab(button) {
  state.tab = button.dataset.tab;
  document.querySelector(".desk").dataset.tab = state.tab; // the 整改 tab: no search, filters nor bulk bar
  document.querySelectorAll(".tabs button").forEach((x) => x.classList.toggle("on", x === button));
  state.selected = null; // a case of the other tab stays out of this one's detail pane
  state.detail = null;
  state.checked.clear();
  state.bulk = null;
  if (state.tab !== "queue") state.filters = { ...state.filters, status: "", light: "" };
  renderDetail();
  drawFilters();
  load();
}

function drawFilters() {
  renderFilters(document.querySelector("#filters"), {
    tab: state.tab, statuses: OPEN, categories: state.categories, categoryName, filters: state.filters,
    onChange: (filters) => { state.filters = { ...filters, q: state.filters.q }; load(); },
  });
}

let loads = 0;  // a slower answer to an earlier load (another tab, older filters) never draws over a newer one
async function load() {
  const mine = ++loads;
  if (state.tab === "rectify") { state.items = []; await loadRectify(); return; } // its own list (rectify.js)
  // the closed tab: closed cases, and those whose bad rating is under review (the department may appeal it)
  const statuses = state.tab === "queue" ? OPEN : state.tab === "history" ? ["closed", "reviewing"] : [];
  const query = { ...ticketQuery(state.filters, statuses), limit: state.tab === "queue" ? 300 : 100 };
  if (state.tab === "appeals") query.appeal_pending = true;  // 申诉 waiting for a supervisor's decision
  const page = await api("/tickets", { query });
  if (mine !== loads) return;
  state.items = state.tab === "queue" ? byLight(page.items, state.filters.light) : page.items;
  const ids = new Set(state.items.map((i) => i.id));
  state.checked.forEach((id) => { if (!ids.has(id)) state.checked.delete(id); });
  state.loadedAt = Date.now();
  if (state.tab === "queue") {
    state.items.sort((a, b) => rank(a) - rank(b)
      || (a.sla?.remaining_s ?? Infinity) - (b.sla?.remaining_s ?? Infinity));
  }
  renderList();
}

function left(item) {  // remaining working seconds now, counting down between reloads
  if (!item.sla) return null;
  return item.sla.remaining_s - (Date.now() - state.loadedAt) / 1000;
}

function renderList() {
  if (state.tab === "rectify") { drawRectify(); return; }
  const list = document.querySelector("#list");
  // a redraw keeps the keyboard where it was: on the same case's row or checkbox
  const had = list.contains(document.activeElement) ? document.activeElement : null;
  const again = had && (had.dataset.pick ? `[data-pick="${had.dataset.pick}"]` : `.row[data-id="${had.dataset.id}"]`);
  renderBulk();
  if (!state.items.length) { // nothing found is not nothing to do
    const { q, ...chosen } = state.filters;
    const why = q ? t("desk.search_none", { q }) : Object.values(chosen).some(Boolean) ? t("desk.filtered_none")
      : t(state.tab === "queue" ? "desk.empty" : "desk.history_empty");
    list.innerHTML = `<p class="muted" style="padding:16px">${escapeHtml(why)}</p>`;
    return;
  }
  list.innerHTML = state.items.map((item) => {
    const light = item.sla?.light || "green";
    const right = state.tab === "queue"
      ? `<span class="countdown ${light}" data-id="${item.id}">${item.sla ? remainingText(left(item), item.sla) : ""}</span>`
      : `<span class="badge ${item.on_time === false ? "late" : "ok"}">${item.on_time === false ? t("desk.late") : t("desk.on_time")}</span>`;
    // a case to accept can be picked; one picked before it changed stays picked, to be reported on
    const pick = state.tab === "queue" && (item.status === "dispatched" || state.checked.has(item.id))
      ? `<label class="check" title="${escapeHtml(t("desk.pick"))}"><input type="checkbox" data-pick="${item.id}"
          ${state.checked.has(item.id) ? "checked" : ""} aria-label="${escapeHtml(t("desk.pick_case", { n: item.case_number }))}"></label>`
      : `<span class="check"></span>`;
    return `<div class="item">${state.tab === "queue" ? pick : ""}<button type="button" class="row ${state.selected === item.id ? "on" : ""}" data-id="${item.id}"
        aria-current="${state.selected === item.id}">
        <span class="light ${state.tab === "queue" ? light : (item.on_time === false ? "red" : "green")}"></span>
        <span class="text"><span class="case">${escapeHtml(item.case_number)}</span> · ${escapeHtml(categoryName(item.category_code))}<br>
          <span class="muted">${escapeHtml(statusLabel(item.status))} · ${escapeHtml(item.description.slice(0, 40))}</span></span>
        ${right}</button></div>`;
  }).join("");
  if (again) list.querySelector(again)?.focus();
  list.classList.toggle("picking", state.tab === "queue");
  list.querySelectorAll("[data-pick]").forEach((box) => box.addEventListener("change", () => {
    const id = Number(box.dataset.pick);
    if (box.checked) state.checked.add(id); else state.checked.delete(id);
    renderBulk();
  }));
  // a button: reached with Tab, opened with Enter or Space as well as a click
  list.querySelectorAll(".row").forEach((row) => row.addEventListener("click", () => choose(Number(row.dataset.id))));
}

const narrow = () => matchMedia("(max-width: 760px)").matches;  // one column: the case below the list

/** A case chosen by the user (a row, a notification, a search's one hit): what is typed in an open form is only
 * dropped when they say so; on a phone the case is brought into view (it is below the whole list). */
async function choose(id) {
  const form = document.querySelector("#form [data-form]");
  if (id !== state.selected && hasDraft(form)) {
    askDiscard(form, () => { form.remove(); choose(id); });
    return;
  }
  await select(id);
  if (narrow() && state.detail?.id === id) document.querySelector("#detail").scrollIntoView({ block: "start" });
}

/** The bar for several cases accepted at once: one accept act per case, each on record; per-case results. */
function renderBulk() {
  const bar = document.querySelector("#bulk");
  const n = state.checked.size;
  const results = state.bulk ? `<ul class="bulk-results">${state.bulk.map((r) => `<li class="${r.ok ? "ok" : "failed"}">
      ${escapeHtml(r.case_number)} · ${escapeHtml(r.ok ? t("desk.bulk_ok") : r.message)}</li>`).join("")}</ul>` : "";
  bar.innerHTML = (n ? `<button type="button" class="primary" id="accept-picked">${escapeHtml(t("desk.accept_picked", { n }))}</button>` : "")
    + (n || state.bulk ? `<button type="button" id="clear-picked">${escapeHtml(t(n ? "desk.clear_picked" : "desk.bulk_dismiss"))}</button>` : "")
    + results;
  bar.hidden = !n && !state.bulk;
  bar.querySelector("#accept-picked")?.addEventListener("click", acceptPicked);
  bar.querySelector("#clear-picked")?.addEventListener("click", () => { state.checked.clear(); state.bulk = null; renderList(); });
}

async function acceptPicked() {
  const picked = state.items.filter((i) => state.checked.has(i.id));
  document.querySelector("#accept-picked").disabled = true;
  const results = [];
  for (const item of picked) { // one after the other: each its own act, refused or not on its own
    try {
      await api(`/tickets/${item.id}/actions/accept`, { json: { reason: null, version: item.version, payload: {} } });
      results.push({ case_number: item.case_number, ok: true });
    } catch (err) {
      results.push({ case_number: item.case_number, ok: false, message: errorText(err) });
    }
  }
  state.checked.clear();
  state.bulk = results;
  await load();
  if (state.selected && picked.some((i) => i.id === state.selected)) await select(state.selected, { keepForm: true });
}

function errorText(err) {
  if (isStale(err) || err.status === 409) return t("desk.error.changed_state", { status: statusLabel(err.body?.status || "") });
  if (err.body?.error === "after_photo_required") return t("desk.error.after_photo_required");
  return err.message;
}

function tick() {
  document.querySelectorAll(".countdown[data-id]").forEach((el) => {
    const item = state.items.find((i) => i.id === Number(el.dataset.id));
    if (item?.sla) el.textContent = remainingText(left(item), item.sla);
  });
}

const editing = () => Boolean(document.querySelector("#form")?.childElementCount);
const drafted = () => hasDraft(document.querySelector("#form [data-form]"));  // a form with something typed in it

let selects = 0;  // a slower answer for a case clicked earlier never shows over the one clicked last
async function select(id, { keepForm = false } = {}) {
  const mine = ++selects;
  const main = document.querySelector("#detail");
  if (state.selected !== id || (state.detail && state.detail.id !== id)) {
    state.selected = id;
    renderList();  // the row clicked is marked at once; the case shown meanwhile is greyed out, its buttons off
    if (state.detail) main.setAttribute("aria-busy", "true");
  }
  let detail;
  try {
    detail = await api(`/tickets/${id}`);
  } catch (err) {
    if (mine !== selects) return;
    main.removeAttribute("aria-busy");
    if (err.status !== 404) throw err;
    // the case is no longer this department's (a return approved, dispatched elsewhere)
    state.selected = null;
    state.detail = null;
    renderList();
    renderDetail();
    return;
  }
  if (mine !== selects) return;
  main.removeAttribute("aria-busy");
  // a live refresh never wipes a form being filled in, even one opened while the request was out
  if (keepForm && (editing() || state.selected !== id)) return;
  state.detail = detail;
  renderList();
  renderDetail();
}

function renderDetail() {
  const d = state.detail;
  const main = document.querySelector("#detail");
  if (!d) {
    dropMinimap();
    if (state.tab === "rectify") { drawRectify(); return; }
    main.innerHTML = `<p class="muted">${t("desk.choose")}</p>`;
    return;
  }
  const timers = d.timers.filter((x) => x.active || x.fulfilled_at).map((x) => `
      <li><span class="light ${x.light}"></span> ${escapeHtml(t(`stage.${x.stage}`))} · ${t("desk.due")} ${when(x.due_at)}
      · ${x.active ? escapeHtml(remainingText(x.remaining_s, x)) : (x.on_time ? t("desk.on_time") : t("desk.late"))}</li>`).join("");
  main.innerHTML = `<button type="button" class="back" data-back>${escapeHtml(t("desk.back_to_list"))}</button>
    <div class="case-grid"><div class="case-main">
    <div class="status-line"><h2 style="margin:0">${escapeHtml(d.case_number)}</h2>
      <span class="badge">${escapeHtml(statusLabel(d.status))}</span>
      <span class="badge">${escapeHtml(categoryName(d.category_code))}</span>
      <span class="badge">${escapeHtml(t(`urgency.${d.urgency}`))}</span></div>
    <h3 data-i18n="desk.description"></h3><p>${escapeHtml(d.description)}</p>
    <p class="muted"><span data-i18n="desk.location"></span>: ${escapeHtml(d.address || "")} ${d.lng.toFixed(6)}, ${d.lat.toFixed(6)} · ${escapeHtml(d.cell_code)}</p>
    ${d.contact ? `<p class="contact"><span data-i18n="contact.title"></span>: ${escapeHtml(contactText(d.contact))}</p>` : ""}
    <div class="actions" id="actions">${d.allowed_actions.map((a) =>
      `<button data-action="${a}" class="${a === "accept" || a === "resolve" ? "primary" : ""}">${escapeHtml(actionLabel(a))}</button>`).join("")}</div>
    <div id="form"></div>
    <h3 data-i18n="desk.timers"></h3><ul class="timeline">${timers}</ul>
    <h3 data-i18n="desk.timeline"></h3>
    <ul class="timeline">${d.timeline.map((e) => `<li>${when(e.at)} · <b>${escapeHtml(actionLabel(e.action))}</b>
      · ${escapeHtml(actorText(e))}${eventNote(e, deptName) ? ` · ${escapeHtml(eventNote(e, deptName))}` : ""}</li>`).join("")}</ul></div>
    <div class="case-side">
      <h3 data-i18n="desk.photos"></h3>${gallery(d)}
      <h3 data-i18n="desk.map"></h3><div class="minimap" id="minimap" role="img" aria-label="${escapeHtml(t("desk.map_label", { cell: d.cell_code }))}"></div>
    </div></div>`;
  applyI18n(main);
  showMinimap(main.querySelector("#minimap"), d);
  main.querySelectorAll("#actions button").forEach((b) => b.addEventListener("click", () => start(b.dataset.action)));
  main.querySelector("[data-back]").addEventListener("click", () => {  // a phone: back up to the case's row
    const row = document.querySelector(`.row[data-id="${d.id}"]`);
    row?.scrollIntoView({ block: "center" });
    row?.focus({ preventScroll: true });
  });
}

/** A department's name in the page's language (its code when unknown). */
function deptName(code) {
  const d = state.departments[code];
  if (!d) return code;
  return document.documentElement.lang === "en" ? d.name_en || d.name : d.name;
}

/** The case's photos with what they show: the stage (before: the report; after: the department's), who, when. */
function gallery(d) {
  if (!d.photos.length) return `<p class="muted">${escapeHtml(t("desk.no_photos"))}</p>`;
  const bySeq = new Map(d.timeline.map((e) => [e.seq, e]));
  return `<div class="gallery">${d.photos.map((p) => {
    const e = bySeq.get(p.event_seq);
    const caption = [t(`photo.${p.stage}`), e ? actorText(e) : "", when(p.created_at)].filter(Boolean).join(" · ");
    return `<figure class="shot ${p.stage === "resolve" ? "after" : "before"}"><a href="${p.url}" target="_blank">
        <img src="${p.url}" alt="${escapeHtml(caption)}"></a><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
  }).join("")}</div>`;
}

function photoRequired() {
  return state.categories[state.detail?.category_code]?.after_photo_required !== false;
}

function start(action, draft = null) {
  const box = document.querySelector("#form");
  const opened = openActForm(box, action, {
    draft,
    needPhoto: action === "resolve" ? photoRequired() : state.needsPhoto.has(action),
    publicNote: state.publicNotes.has(action) && PUBLIC_SOURCES.includes(state.detail?.source),  // the reporter reads it
    onCancel: () => { if (state.selected) select(state.selected, { keepForm: true }); }, // what changed meanwhile
    onSubmit: (extra) => send(action, extra, box.querySelector(".error")),
  });
  if (!opened) send(action, {});
}

async function send(action, { reason, payload, photos } = {}, errorBox) {
  const d = state.detail;
  try {
    if (photos?.length) {
      const form = new FormData();
      if (reason) form.append("reason", reason);
      form.append("version", String(d.version));
      if (payload) form.append("payload", JSON.stringify(payload));
      photos.forEach((f) => form.append("photos", f, f.name));
      state.detail = await api(`/tickets/${d.id}/actions/${action}`, { form });
    } else {
      state.detail = await api(`/tickets/${d.id}/actions/${action}`,
        { json: { reason: reason || null, version: d.version, payload: payload || {} } });
    }
    renderDetail();
    await load();
  } catch (err) {
    if (isStale(err)) { // keep a form as typed; the next confirm goes with the new version
      state.detail = await api(`/tickets/${d.id}`).catch(() => state.detail);
      if (!errorBox) renderDetail(); // a one-click act: show the case as it is now
    }
    const message = isStale(err) ? t("error.changed", { status: statusLabel(state.detail.status) })
      : (err.body?.error === "after_photo_required" ? t("desk.error.after_photo_required")
        : err.body?.error === "photo_required" && PHOTO_RULE[action] ? t(PHOTO_RULE[action][1]) : err.message);
    if (errorBox) errorBox.textContent = message;
    else alert(message);  // eslint-disable-line no-alert
  }
}

// Keyboard shortcuts for the common acts; never while typing in a field.
function typing(el) {
  if (!el) return false;
  if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
  return el.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(el.type);
}

async function move(step) {
  if (!state.items.length) return;
  const at = state.items.findIndex((x) => x.id === state.selected);
  const next = state.items[at < 0 ? 0 : Math.max(0, Math.min(state.items.length - 1, at + step))];
  await select(next.id);
  document.querySelector(`.row[data-id="${next.id}"]`)?.focus();
}

function onKey(ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
  // the case shown is the one chosen (not one still loading), and no form is open
  const can = (action) => state.detail?.id === state.selected && state.detail.allowed_actions.includes(action) && !editing();
  if (ev.key === "j" || ev.key === "k") { if (!drafted()) move(ev.key === "j" ? 1 : -1); } // never over typed text
  else if (ev.key === "a" && can("accept")) send("accept", {});
  else if (ev.key === "r" && can("resolve")) {
    start("resolve");
    document.querySelector("[data-form=resolve] textarea")?.focus();
  } else if (ev.key === "Escape" && editing()) document.querySelector("#form [data-cancel]")?.click();
  else return;
  ev.preventDefault();
}

function showLive() {
  if (state.live) document.querySelector("#live").textContent = t(state.live === "online" ? "desk.live_on" : "desk.live_off");
}

async function main() {
  const me = await currentUser();
  shell(me);
  const [categories, departments, lifecycle] = await Promise.all([api("/categories"), api("/departments"), api("/lifecycle")]);
  // the acts that need a photo (the lifecycle table's needs_photo: an appeal), besides resolve's category rule
  state.needsPhoto = new Set(lifecycle.acts.filter((a) => a.needs_photo && a.roles.includes("department")).map((a) => a.action));
  state.publicNotes = new Set(lifecycle.acts.filter((a) => a.public_note).map((a) => a.action));
  useLifecycle(lifecycle);
  for (const c of categories) state.categories[c.code] = c;
  for (const d of departments) state.departments[d.code] = d;
  drawFilters();
  document.addEventListener("keydown", onKey);
  await load();
  offerRectify(document.querySelector(".tabs [data-tab=rectify]"));
  setInterval(tick, 1000);
  let pending = null;
  const touched = new Set(); // every case named by the events of one burst, not only the last one's
  connectLive((event) => {
    if (event.kind === "notification") { notify(event, { onOpen: (id) => choose(id) }); return; }
    if (!event.kind.startsWith("ticket") && event.kind !== "sla.light") return;
    touched.add(event.ticket_id);
    clearTimeout(pending);
    pending = setTimeout(async () => {
      const ids = new Set(touched);
      touched.clear();
      await load();
      if (state.selected && ids.has(state.selected) && !editing()) await select(state.selected, { keepForm: true });
    }, 150);
  }, { onStatus: (s) => { state.live = s; showLive(); } });
}

main();
