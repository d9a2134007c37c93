// The 12345 hotline operator's screen: take a call (受理) and call reporters back (回访). Two tabs in one
// main landmark; the intake form is keyboard-first (natural tab order, Ctrl+Enter files the case).
import "./hotline.css";
import { api, currentUser, escapeHtml, logout } from "../common/api.js";
import { connectLive } from "../common/live.js";
import { applyI18n, langSwitch, t } from "../i18n/index.js";
import { Callbacks } from "./callbacks.js";
import { Intake } from "./intake.js";

const state = { tab: "intake", live: null, categories: {} };
let intake = null;
let callbacks = null;

function shell(me) {
  document.querySelector("#app").innerHTML = `
    <header class="topbar">
      <h1 class="title"><span data-i18n="hotline.title"></span> · ${escapeHtml(me.display_name || me.username)}</h1>
      <span class="live muted" id="live" role="status"></span>
      <span id="lang"></span>
      <button type="button" id="logout" data-i18n="logout"></button>
    </header>
    <div class="hl-tabs"><div role="tablist" data-i18n-aria-label="hotline.tabs">
      <button type="button" role="tab" id="tab-intake" aria-controls="panel-intake" aria-selected="true"
        data-tab="intake" data-i18n="hotline.tab.intake"></button>
      <button type="button" role="tab" id="tab-callbacks" aria-controls="panel-callbacks" aria-selected="false"
        data-tab="callbacks" tabindex="-1"></button></div>
      <span class="keys muted" data-i18n="hotline.keys"></span>
    </div>
    <main class="hotline">
      <section id="panel-intake" role="tabpanel" aria-labelledby="tab-intake"></section>
      <section id="panel-callbacks" role="tabpanel" aria-labelledby="tab-callbacks" hidden></section>
    </main>`;
  document.querySelector("#lang").append(langSwitch(() => { intake.redraw(); callbacks.redraw(); tabLabels(); showLive(); }));
  document.querySelector("#logout").addEventListener("click", logout);
  const tabs = [...document.querySelectorAll("[role=tab]")];
  tabs.forEach((b) => b.addEventListener("click", () => show(b.dataset.tab)));
  // arrow keys move between the tabs (the tab pattern); Tab goes on into the panel
  document.querySelector(".hl-tabs").addEventListener("keydown", (ev) => {
    if (ev.key !== "ArrowLeft" && ev.key !== "ArrowRight") return;
    const at = tabs.findIndex((b) => b.dataset.tab === state.tab);
    const next = tabs[(at + (ev.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    show(next.dataset.tab);
    next.focus();
    ev.preventDefault();
  });
  applyI18n();
}

function tabLabels() {
  const n = callbacks?.total;
  document.querySelector("#tab-callbacks").textContent = n ? t("hotline.tab.callbacks_n", { n }) : t("hotline.tab.callbacks");
}

function show(tab) {
  state.tab = tab;
  document.querySelectorAll("[role=tab]").forEach((b) => {
    const on = b.dataset.tab === tab;
    b.setAttribute("aria-selected", String(on));
    b.tabIndex = on ? 0 : -1;
  });
  document.querySelector("#panel-intake").hidden = tab !== "intake";
  document.querySelector("#panel-callbacks").hidden = tab !== "callbacks";
  document.querySelector(".hl-tabs .keys").hidden = tab !== "intake";
  if (tab === "callbacks") callbacks.load();
  else intake.shown();
}

function showLive() {
  document.querySelector("#live").textContent = state.live === "offline" ? t("hotline.live_off") : "";
}

async function main() {
  const me = await currentUser();
  shell(me);
  const [categories, lifecycle] = await Promise.all([api("/categories"), api("/lifecycle")]);
  // the states in which an operator may record a "same problem" (the lifecycle table's, not a copy here)
  const supportable = new Set(lifecycle.acts.filter((a) => a.action === "support" && a.roles.includes(me.role))
    .flatMap((a) => a.from));
  for (const c of categories) state.categories[c.code] = c;
  const departments = await api("/departments").catch(() => []);
  const categoryName = (code) => {
    const c = state.categories[code];
    if (!c) return code;
    return document.documentElement.lang === "en" ? c.name_en : c.name;
  };
  const deptName = (code) => {
    const d = departments.find((x) => x.code === code);
    if (!d) return code || "";
    return document.documentElement.lang === "en" ? d.name_en || d.name : d.name;
  };
  intake = new Intake(document.querySelector("#panel-intake"), { categories, categoryName, supportable });
  callbacks = new Callbacks(document.querySelector("#panel-callbacks"), { categoryName, deptName, onCount: tabLabels });
  applyI18n();  // the panels' own words
  tabLabels();
  callbacks.load();  // the count on the tab
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && state.tab === "intake") {
      ev.preventDefault();
      intake.submit();
    }
  });
  let pending = null;
  connectLive((event) => {
    // a case closed or rated elsewhere changes the call-back list
    if (!event.kind?.startsWith("ticket")) return;
    clearTimeout(pending);
    pending = setTimeout(() => callbacks.load({ quiet: true }), 300);
  }, { onStatus: (s) => { state.live = s; showLive(); }, onResync: () => callbacks.load({ quiet: true }) });
  intake.shown();
}

main();
