// The grid worker's phone page (/m/): report in three steps (where, what, photo), open cases nearby,
// an offline queue (PWA + IndexedDB, each report sent once with its idempotency key), my cases with
// live status and a page per case, and my verify/check tasks with countdowns. Large targets and high contrast for the sun.
// Each tab and opened case is an entry in the browser's history (nav.js): the phone's Back stays in the page.
import "./mobile.css";
import { api, currentUser, escapeHtml, logout, onSignedOut, when } from "../common/api.js";
import { connectLive } from "../common/live.js";
import { notify } from "../common/notify.js";
import { applyI18n, langSwitch, t } from "../i18n/index.js";
import { categoryName } from "./category.js";
import { Lists } from "./lists.js";
import { currentView, openedFromList, pushView, replaceView, sameView } from "./nav.js";
import { SIGN_IN, flush, queued, refusalText, remove } from "./outbox.js";
import { ReportForm, nearestText } from "./report.js";

const RETRY_MS = 20_000;
// sending: a pass over the queue is in flight; signedOut: the last answer said the session has ended;
// flushNote: what the last pass did, shown for a few seconds (sent, or why nothing was sent after a tap)
const state = { tab: "report", me: null, queue: [], flushNote: null, sending: false, signedOut: false };
let form = null;
let lists = null;

function shell(me) {
  document.querySelector("#app").innerHTML = `
    <div class="m-head">
    <header class="m-top">
      <h1 class="title"><span data-i18n="m.title"></span><small>${escapeHtml(me.display_name || me.username)}</small></h1>
      <span id="net" class="net"></span>
      <span id="lang"></span>
      <button id="logout" data-i18n="logout"></button>
    </header>
    <div id="outbox" class="outbox" hidden aria-live="polite"></div>
    </div>
    <main class="m-main">
      <div id="tab-report" class="tab"></div>
      <div id="tab-mine" class="tab list" hidden></div>
      <div id="tab-tasks" class="tab list" hidden></div>
    </main>
    <nav class="tabbar">
      <button data-tab="report" class="on"><span data-i18n="m.tab.report"></span></button>
      <button data-tab="mine"><span data-i18n="m.tab.mine"></span></button>
      <button data-tab="tasks"><span data-i18n="m.tab.tasks"></span> <span class="count" id="task-count" hidden></span></button>
    </nav>`;
  document.querySelector("#lang").append(langSwitch(() => { form?.render(); renderAll(); }));
  document.querySelector("#logout").addEventListener("click", async () => {
    await window.caches?.delete("gridops-m-data");  // the cached cases and token are this user's
    logout();
  });
  document.querySelectorAll(".tabbar button").forEach((b) => b.addEventListener("click", () => go({ tab: b.dataset.tab })));
  document.querySelector("#outbox").addEventListener("click", outboxClick);
  applyI18n();
}

function showTab(tab) {
  if (state.tab !== tab) lists.leave(state.tab);
  state.tab = tab;
  document.querySelectorAll(".tabbar button").forEach((b) => b.classList.toggle("on", b.dataset.tab === tab));
  for (const name of ["report", "mine", "tasks"]) document.querySelector(`#tab-${name}`).hidden = name !== tab;
  if (tab === "report") form.map.resize();
  if (tab === "mine") lists.loadMine();
  if (tab === "tasks") lists.loadTasks();
  window.scrollTo(0, 0);
}

/** Show a view (a tab, or a case in "my cases") without touching the history: a start, or Back and Forward. */
function showView(view) {
  showTab(view.tab);
  if (!view.caseId) { if (view.tab === "mine") lists.closeCase(); return; }
  lists.openCase(view.caseId).then((ok) => {
    // a case that cannot be opened (no longer the worker's, no signal and never seen): the address says the list
    if (!ok && sameView(currentView(), view)) replaceView({ tab: "mine" });
  });
}

/** The worker goes to a view: a new history entry, so that Back returns to this one. The view shown already is
 * refreshed instead (a tap on its tab). */
function go(view) {
  if (sameView(currentView(), view)) { showTab(view.tab); return; }
  pushView(view);
  showView(view);
}

/** A case opened from the list: shown first, then recorded (Back from it returns to the list). */
async function openFromList(id) {
  if (await lists.openCase(id)) pushView({ tab: "mine", caseId: id }, { fromList: true });
}

/** The case page's own back button: the browser's Back when the list is the entry before it. */
function backToList() {
  if (openedFromList()) { history.back(); return; }
  replaceView({ tab: "mine" });
  lists.closeCase();
}

function renderAll() {
  renderOutbox();
  renderNet();
  lists?.renderMine();
  // a check or verify form being filled in keeps what was typed (in the language it was opened in); the
  // task list is drawn again in the new language once the form is sent or cancelled
  if (lists?.editing()) lists.stale = true;
  else lists?.renderTasks();
}

function renderNet() {
  const online = navigator.onLine !== false;
  const el = document.querySelector("#net");
  el.textContent = t(online ? "m.net.online" : "m.net.offline");
  el.className = `net ${online ? "on" : "off"}`;
}

function renderOutbox() {
  const box = document.querySelector("#outbox");
  const waiting = state.queue.filter((i) => !i.failed);
  const failed = state.queue.filter((i) => i.failed);
  box.hidden = !state.queue.length && !state.flushNote && !state.signedOut;
  box.classList.toggle("done", !state.queue.length && !state.signedOut);
  box.dataset.waiting = String(waiting.length);
  box.dataset.failed = String(failed.length);
  const category = (code) => categoryName(form?.byCode[code]) || code;
  box.dataset.state = state.sending ? "sending" : state.signedOut ? "signed-out" : "waiting";
  const how = state.sending ? "m.outbox.sending" : state.signedOut ? "m.outbox.sign_in" : "m.outbox.auto";
  box.innerHTML = `
    ${state.flushNote ? `<div class="sent-note ${state.flushNote.bad ? "bad" : ""}" role="status">${escapeHtml(t(state.flushNote.key, state.flushNote.vars))}</div>` : ""}
    ${state.signedOut && !waiting.length ? `<div class="waiting"><b>${t("error.session")}</b>
      <a class="button sign-in" href="${SIGN_IN}">${t("m.sign_in")}</a></div>` : ""}
    ${waiting.length ? `<div class="waiting"><div><b>${t("m.outbox.waiting", { n: waiting.length })}</b><br>
      <small class="how">${t(how)}</small></div>
      ${state.signedOut && !state.sending ? `<a class="button sign-in" href="${SIGN_IN}">${t("m.sign_in")}</a>` : ""}
      <button type="button" data-send ${state.sending ? "disabled aria-busy=\"true\"" : ""}>${t(state.sending ? "m.sending" : "m.outbox.send_now")}</button></div>` : ""}
    ${failed.map((i) => `<div class="failed" data-key="${i.key}">
      <b>${t("m.outbox.failed")}</b> ${escapeHtml(refusal(i))}<br>
      <small>${when(i.created_at)} · ${escapeHtml(category(i.fields.category_code))} · ${escapeHtml(i.fields.description.slice(0, 40))}</small>
      <div class="buttons"><button type="button" data-edit="${i.key}">${t("m.outbox.edit")}</button>
      <button type="button" class="danger" data-delete="${i.key}">${t("m.outbox.delete")}</button></div></div>`).join("")}`;
}

/** Why the server refused a queued report, in the worker's language (by the refusal's code). */
function refusal(item) {
  const d = item.detail || {};
  if (d.error === "outside_managed_area") {
    const near = d.nearest_cell ? ` · ${nearestText(d.nearest_cell, d.distance_m)}` : "";
    return `${t("m.where.outside")}${near}`;
  }
  return refusalText(item);
}

async function outboxClick(e) {
  const b = e.target.closest("button");
  if (!b) return;
  if (b.dataset.send !== undefined) await sendQueued({ tapped: true });
  const item = state.queue.find((i) => i.key === (b.dataset.edit || b.dataset.delete));
  if (b.dataset.edit && item) {
    go({ tab: "report" });
    await form.edit(item);
  }
  if (b.dataset.delete && item && window.confirm(t("m.outbox.delete_confirm"))) await remove(item.key);  // eslint-disable-line no-alert
  await refreshQueue();
}

async function refreshQueue() {
  state.queue = await queued(state.me.username);
  if (["queued", "signed_out"].includes(form?.result?.kind) && !state.queue.some((i) => !i.failed)) {  // sent meanwhile
    form.result = null;
    form.render();
  }
  lists.queued = state.queue;
  renderOutbox();
  lists.renderMine();
}

let noteTimer = null;

/** A line over the queue for a few seconds: what a pass sent, or why a tap on 立即发送 sent nothing. */
function flushNote(key, vars = {}, bad = false) {
  clearTimeout(noteTimer);
  state.flushNote = { key, vars, bad };
  noteTimer = setTimeout(() => { state.flushNote = null; renderOutbox(); }, 8000);
}

/** Send what waits; "正在发送…" while a pass is in flight. ``tapped``: the worker asked (立即发送), so a
 * pass that sends nothing says why. */
async function sendQueued({ tapped = false } = {}) {
  const pass = flush(state.me.username);
  if (state.queue.some((i) => !i.failed)) {
    state.sending = true;
    if (state.flushNote?.bad) state.flushNote = null;  // "still no signal" is old news once a pass starts
    renderOutbox();
  }
  let result;
  try {
    result = await pass;
  } finally {
    state.sending = false;
  }
  if (result.busy) {  // another tab is sending them
    if (tapped) flushNote("m.outbox.sending");
    await refreshQueue();
    return;
  }
  state.signedOut = Boolean(result.signedOut);
  if (result.sent) {
    flushNote("m.outbox.sent", { n: result.sent });
    lists.loadMine();
  } else if (tapped && result.left) {
    flushNote(result.signedOut ? "m.outbox.still_signed_out" : "m.outbox.still_offline", {}, true);
  }
  await refreshQueue();
}

/** Once the service worker controls the page, fetch again what the page loaded before it did, so
 * that the worker's data is in its cache for the next start without signal. */
async function warmOfflineCache(seen) {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" });
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
    }
    const urls = ["/api/v1/me", "/api/v1/categories", "/api/v1/tickets?mine=true&limit=50", ...seen.map((q) => {
      const url = new URL("/api/v1/cells", location.origin);
      for (const [k, v] of Object.entries(q)) url.searchParams.append(k, v);
      return url.pathname + url.search;
    })];
    await Promise.all(urls.map((u) => fetch(u, { credentials: "same-origin" }).catch(() => null)));
    document.body.dataset.offlineReady = "1";
  } catch (err) {
    console.warn("offline cache unavailable", err);  // eslint-disable-line no-console
  }
}

async function main() {
  const me = await currentUser();
  state.me = me;
  // the session ending does not take the worker away from a report being written: the page says so and
  // offers to sign in again (back to /m/); what is queued waits on the phone
  const signedOut = () => { state.signedOut = true; renderOutbox(); };
  onSignedOut(signedOut);
  shell(me);
  const [categories, departments] = await Promise.all([api("/categories"), api("/departments").catch(() => [])]);
  const seenCells = [];
  lists = new Lists({
    me, categories, departments, mineRoot: document.querySelector("#tab-mine"), tasksRoot: document.querySelector("#tab-tasks"),
    onTasks: (n) => {
      const badge = document.querySelector("#task-count");
      badge.hidden = !n;
      badge.textContent = String(n);
    },
    onOpen: openFromList,
    onBack: backToList,
  });
  form = new ReportForm(document.querySelector("#tab-report"), {
    me, categories, seenCells,
    onQueued: ({ signedOut }) => { state.signedOut = signedOut; refreshQueue(); },
    onFiled: () => lists.loadMine(),
  });
  renderNet();
  await refreshQueue();
  await form.restoreDraft(state.queue.map((i) => i.key));
  const start = currentView();
  if (!history.state) replaceView(start);  // (a reload keeps its entry's state: a case opened from the list)
  window.addEventListener("popstate", () => showView(currentView()));
  if (start.tab !== "report") showView(start);
  sendQueued();
  lists.loadTasks();
  window.addEventListener("online", () => { renderNet(); sendQueued(); });
  window.addEventListener("offline", renderNet);
  setInterval(() => { if (state.queue.some((i) => !i.failed)) sendQueued(); }, RETRY_MS);
  let pending = null;
  connectLive((event) => {
    if (event.kind === "notification") { notify(event); return; }
    if (!event.kind.startsWith("ticket") && event.kind !== "sla.light") return;
    clearTimeout(pending);
    pending = setTimeout(() => {
      if (state.tab === "mine") lists.loadMine();
      lists.loadTasks();
    }, 200);
  }, { onStatus: (s) => { document.querySelector("#net").dataset.live = s; }, onSignedOut: signedOut });
  form.map.ready.then(() => warmOfflineCache(seenCells), () => warmOfflineCache(seenCells));
  document.body.dataset.ready = "1";
}

main();
