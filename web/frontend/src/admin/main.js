// The administration console (/admin): users, the security log, calendars and SLA policies, departments and
// categories. Every screen is a client of /api/v1 (nothing here that the API and the CLI cannot do); the
// sections are hash routes (#users, #users/li, #security, …) in a side navigation. Other roles are told it is for admins.
import "./admin.css";
import { currentUser, escapeHtml, logout } from "../common/api.js";
import { applyI18n, langSwitch, t } from "../i18n/index.js";
import { renderUsers } from "./users.js";
import { renderSecurity } from "./security.js";
import { renderCalendars } from "./calendars.js";
import { renderCategories } from "./catalogue.js";
import { renderDepartments } from "./departments.js";
import { renderRouting } from "./routing.js";
import { renderGrid } from "./grid.js";

const SECTIONS = { users: renderUsers, security: renderSecurity, calendars: renderCalendars,
  departments: renderDepartments, categories: renderCategories, routing: renderRouting, grid: renderGrid };

function section() {
  const name = location.hash.replace(/^#/, "").split("/")[0]; // #users/li: a user's page within a section
  return SECTIONS[name] ? name : "users";
}

function shell(me) {
  document.querySelector("#app").innerHTML = `
    <header class="topbar">
      <h1 class="title"><span data-i18n="admin.title"></span> · ${escapeHtml(me.display_name || me.username)}</h1>
      <span id="lang"></span>
      <button id="logout" data-i18n="logout"></button>
    </header>
    <div class="admin">
      <nav class="side" data-i18n-aria-label="admin.nav" id="side">
        ${Object.keys(SECTIONS).map((s) => `<a href="#${s}" data-section="${s}" data-i18n="admin.nav.${s}"></a>`).join("")}
      </nav>
      <main id="main" tabindex="-1"></main>
    </div>`;
  document.querySelector("#logout").addEventListener("click", logout);
}

let shown = null;

async function show({ focus = false } = {}) {
  const name = section();
  shown = name;
  document.querySelectorAll("#side a").forEach((a) => {
    if (a.dataset.section === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  const main = document.querySelector("#main");
  main.dataset.section = name;
  main.innerHTML = "";
  await SECTIONS[name](main);
  if (shown === name) {
    applyI18n(main);
    if (focus) main.focus();
  }
}

async function main() {
  const me = await currentUser();
  shell(me);
  if (me.role !== "admin") {  // the console is for admins: say so plainly, and where the user's own page is
    document.querySelector("#side").remove();
    document.querySelector(".admin").classList.add("solo");
    document.querySelector("#main").innerHTML = `<div class="card only-admins" id="only-admins">
        <h2 data-i18n="admin.only_admins"></h2><p data-i18n="admin.only_admins_hint"></p>
        <p><a href="${escapeHtml(me.landing || "/")}" data-i18n="admin.to_my_page"></a></p></div>`;
    document.querySelector("#lang").append(langSwitch());
    applyI18n();
    return;
  }
  document.querySelector("#lang").append(langSwitch(() => show()));
  applyI18n();
  window.addEventListener("hashchange", () => show({ focus: true }));
  await show();
}

main();
