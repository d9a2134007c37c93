// Users: the list (search, role and active filters), create and edit (role, name, department, leader, a grid
// worker's cells typed or clicked on the map), password reset, deactivate/reactivate, the user's sessions and
// tokens, and the bulk import (src/admin/userimport.js). Everything through /api/v1/users, /sessions, /tokens.
import { api, escapeHtml, option, when } from "../common/api.js";
import { applyI18n, t } from "../i18n/index.js";
import { cellPicker } from "./cellmap.js";
import { showLogFor } from "./security.js";
import { renderImport } from "./userimport.js";

const LIST_LIMIT = 200; // web.accounts.list_users
export const ROLES = ["worker", "dispatcher", "shift_lead", "department", "supervisor", "admin", "operator"];
const state = { filters: { q: "", role: "", active: "" }, users: [], selected: null, departments: [], picker: null };

/** A refusal in the page's words: a password rule by its name, else the error table (api.js). */
export function refusal(err) {
  if (err.body?.rule) return t(`password.${err.body.rule}`, err.body);
  if (err.body?.error === "invalid_input" || err.body?.error === "conflict") return err.body.message || err.message;
  return err.message;
}

export function deptName(code) {
  const d = state.departments.find((x) => x.code === code);
  if (!d) return code || "";
  return document.documentElement.lang === "en" ? d.name_en || d.name : d.name;
}

/** A role's label; a value the table does not know (a bad row of an import) as it was written. */
export function roleName(role) {
  const key = `role.${role}`;
  return t(key) === key ? String(role || "") : t(key);
}


export async function renderUsers(main) {
  main.innerHTML = `<div class="section-head"><h2 data-i18n="admin.nav.users"></h2>
      <div class="buttons"><button type="button" class="primary" id="new-user" data-i18n="admin.users.new"></button>
      <button type="button" id="import-open" data-i18n="admin.import.open"></button></div></div>
    <form class="toolbar" id="user-search" role="search">
      <label><span data-i18n="admin.users.search"></span><input type="search" name="q" maxlength="64"
        value="${escapeHtml(state.filters.q)}" data-i18n-placeholder="admin.users.search_hint"></label>
      <label><span data-i18n="admin.users.role"></span><select name="role">${option("", t("admin.all"), state.filters.role)}
        ${ROLES.map((r) => option(r, t(`role.${r}`), state.filters.role)).join("")}</select></label>
      <label><span data-i18n="admin.users.status"></span><select name="active">${option("", t("admin.all"), state.filters.active)}
        ${option("true", t("admin.users.active"), state.filters.active)}${option("false", t("admin.users.inactive"), state.filters.active)}
        </select></label>
      <button type="submit" data-i18n="admin.users.find"></button>
    </form>
    <div id="import"></div>
    <div class="users-grid"><div id="user-list" class="table-wrap"></div><div id="user-editor"></div></div>`;
  const form = main.querySelector("#user-search");
  const read = () => {
    state.filters = { q: form.q.value.trim(), role: form.role.value, active: form.active.value };
    load(main);
  };
  form.addEventListener("submit", (ev) => { ev.preventDefault(); read(); });
  form.role.addEventListener("change", read);
  form.active.addEventListener("change", read);
  main.querySelector("#new-user").addEventListener("click", () => edit(main, ""));
  main.querySelector("#import-open").addEventListener("click", () => {
    renderImport(main.querySelector("#import"), () => load(main));
    main.querySelector("#import h3")?.focus();
  });
  const linked = decodeURIComponent(location.hash.split("/")[1] || ""); // #users/li opens li
  if (linked) state.selected = linked;
  state.departments = await api("/departments").catch(() => []);
  await load(main);
  if (state.selected !== null) await edit(main, state.selected);
}

async function load(main) {
  const { q, role, active } = state.filters;
  state.users = await api("/users", { query: { q, role, active } });
  const box = main.querySelector("#user-list");
  if (!box) return;
  if (!state.users.length) {
    box.innerHTML = `<p class="muted">${escapeHtml(t("admin.users.none"))}</p>`;
    return;
  }
  const capped = state.users.length >= LIST_LIMIT  // the API lists at most this many: say so
    ? `<p class="hint">${escapeHtml(t("admin.users.capped", { n: LIST_LIMIT }))}</p>` : "";
  box.innerHTML = `${capped}<table class="grid-table users"><caption class="sr-only">${escapeHtml(t("admin.nav.users"))}</caption>
    <thead><tr><th scope="col">${t("admin.users.username")}</th><th scope="col">${t("admin.users.display_name")}</th>
      <th scope="col">${t("admin.users.role")}</th><th scope="col">${t("admin.users.department")}</th>
      <th scope="col">${t("admin.users.cells")}</th><th scope="col">${t("admin.users.status")}</th></tr></thead>
    <tbody>${state.users.map((u) => `<tr class="${u.active ? "" : "inactive"} ${u.username === state.selected ? "on" : ""}">
      <td><button type="button" class="link" data-user="${escapeHtml(u.username)}"
        aria-current="${u.username === state.selected}">${escapeHtml(u.username)}</button></td>
      <td>${escapeHtml(u.display_name)}${u.is_leader ? ` <span class="badge">${t("admin.users.leader")}</span>` : ""}</td>
      <td class="nowrap">${escapeHtml(roleName(u.role))}</td><td>${escapeHtml(deptName(u.department_code))}</td>
      <td class="num">${u.cell_codes.length || ""}</td>
      <td class="nowrap">${u.active ? t("admin.users.active") : `<span class="badge off">${t("admin.users.inactive")}</span>`}${
        u.must_change_password ? ` <span class="badge">${t("admin.users.must_change")}</span>` : ""}</td></tr>`).join("")}
    </tbody></table>`;
  box.querySelectorAll("[data-user]").forEach((b) => b.addEventListener("click", () => edit(main, b.dataset.user)));
}

/** Expand "310101001001001-012, 310101001001020" into 15-digit codes (a range's end replaces the last digits). */
export function parseCells(text) {
  const out = [];
  for (const part of text.split(/[\s,，;；]+/).filter(Boolean)) {
    const m = part.match(/^(\d{15})-(\d{1,15})$/);
    if (!m) { out.push(part); continue; }
    const end = m[1].slice(0, 15 - m[2].length) + m[2];
    for (let n = BigInt(m[1]); n <= BigInt(end) && out.length < 2000; n += 1n) out.push(n.toString().padStart(15, "0"));
  }
  return [...new Set(out)];
}

async function edit(main, username) {
  state.picker?.remove();
  state.picker = null;
  state.selected = username;
  history.replaceState(null, "", username ? `#users/${encodeURIComponent(username)}` : "#users");
  const box = main.querySelector("#user-editor");
  const user = username ? state.users.find((u) => u.username === username)
    || (await api("/users", { query: { q: username } })).find((u) => u.username === username) : null;
  if (username && !user) { state.selected = null; box.innerHTML = ""; return; }
  main.querySelectorAll("#user-list tr").forEach((tr) => {
    const b = tr.querySelector("[data-user]");
    if (!b) return;
    tr.classList.toggle("on", b.dataset.user === username);
    b.setAttribute("aria-current", String(b.dataset.user === username));
  });
  const u = user || { username: "", display_name: "", role: "worker", department_code: null, is_leader: false, cell_codes: [] };
  const chosen = new Set(u.cell_codes);
  box.innerHTML = `<section class="card editor" aria-labelledby="editor-title">
    <h3 id="editor-title" tabindex="-1">${escapeHtml(user ? t("admin.users.edit", { name: user.username }) : t("admin.users.new"))}</h3>
    <form id="user-form" novalidate>
      <div class="fields">
        <label>${t("admin.users.username")}<input name="username" autocomplete="off" maxlength="64" value="${escapeHtml(u.username)}"
          ${user ? "readonly" : "required"} pattern="[A-Za-z0-9_.@\\-]+"></label>
        <label>${t("admin.users.display_name")}<input name="display_name" maxlength="64" value="${escapeHtml(u.display_name)}"></label>
        <label>${t("admin.users.role")}<select name="role">${ROLES.map((r) => option(r, t(`role.${r}`), u.role)).join("")}</select></label>
        <label>${t("admin.users.department")}<select name="department_code">${option("", t("admin.users.no_department"), u.department_code || "")}
          ${state.departments.map((d) => option(d.code, deptName(d.code), u.department_code || "")).join("")}</select></label>
      </div>
      <label class="inline"><input type="checkbox" name="is_leader" ${u.is_leader ? "checked" : ""}> ${t("admin.users.is_leader")}</label>
      ${user ? "" : `<div class="fields"><label>${t("admin.users.password")}<input name="password" type="password" autocomplete="new-password"
          maxlength="256" aria-describedby="pw-rule"></label></div>
        <p class="hint" id="pw-rule">${t("admin.users.password_hint")}</p>`}
      <fieldset class="cells" id="cells-box"><legend>${t("admin.users.cells_legend")}</legend>
        <label for="cell-codes">${t("admin.users.cell_codes")}</label>
        <textarea id="cell-codes" name="cell_codes" rows="2" aria-describedby="cells-hint">${escapeHtml([...chosen].join(", "))}</textarea>
        <p class="hint" id="cells-hint">${t("admin.users.cells_hint")}</p>
        <p class="cells-line"><span class="muted" id="cells-count" aria-live="polite"></span>
          <span class="muted" id="cell-hover"></span></p>
        <div class="cellmap" id="cellmap" role="group" aria-label="${escapeHtml(t("admin.users.cellmap"))}"></div>
      </fieldset>
      <div class="buttons"><button type="submit" class="primary">${t(user ? "admin.save" : "admin.users.create")}</button>
        <button type="button" data-close>${t("admin.close")}</button></div>
      <p class="error" role="alert" id="user-error"></p><p class="ok" role="status" id="user-ok"></p>
    </form>
    ${user ? accountBox(user) : ""}
  </section>`;
  const form = box.querySelector("#user-form");
  const codes = form.querySelector("#cell-codes");
  const count = form.querySelector("#cells-count");
  const showCount = () => { count.textContent = t("admin.users.cells_count", { n: chosen.size }); };
  const cellsBox = form.querySelector("#cells-box");
  const showCells = () => { cellsBox.hidden = form.role.value !== "worker" && !chosen.size; };
  showCount();
  showCells();
  form.role.addEventListener("change", () => { showCells(); if (!cellsBox.hidden) drawPicker(); });
  codes.addEventListener("change", () => {
    chosen.clear();
    parseCells(codes.value).forEach((c) => chosen.add(c));
    showCount();
    state.picker?.update(chosen);
  });
  const toggle = (code) => {
    if (chosen.has(code)) chosen.delete(code); else chosen.add(code);
    codes.value = [...chosen].sort().join(", ");
    showCount();
    state.picker?.update(chosen);
  };
  const drawPicker = async () => {
    if (state.picker || cellsBox.hidden) return;
    const hover = form.querySelector("#cell-hover");
    state.picker = await cellPicker(form.querySelector("#cellmap"), chosen, toggle,
      (code) => { hover.textContent = code ? t("admin.users.cell_here", { code, on: chosen.has(code) ? "✓" : "" }) : ""; });
  };
  drawPicker();
  box.querySelector("[data-close]").addEventListener("click", () => {
    state.picker?.remove();
    state.picker = null;
    state.selected = null;
    history.replaceState(null, "", "#users");
    box.innerHTML = "";
    load(main);
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const error = form.querySelector("#user-error");
    const ok = form.querySelector("#user-ok");
    error.textContent = "";
    ok.textContent = "";
    chosen.clear();
    parseCells(codes.value).forEach((c) => chosen.add(c));
    const bad = [...chosen].filter((c) => !/^\d{15}$/.test(c));
    if (bad.length) { error.textContent = t("admin.users.bad_cells", { codes: bad.slice(0, 5).join(", ") }); return; }
    const body = { display_name: form.display_name.value.trim(), role: form.role.value,
      department_code: form.department_code.value, is_leader: form.is_leader.checked, cell_codes: [...chosen].sort() };
    try {
      if (user) {
        await api(`/users/${encodeURIComponent(user.username)}`, { method: "PATCH", json: body });
      } else {
        const username = form.username.value.trim();
        if (!username) { error.textContent = t("admin.users.need_username"); form.username.focus(); return; }
        await api("/users", { json: { ...body, username, department_code: body.department_code || null,
          password: form.password.value || null } });
        state.selected = username;
      }
      await load(main);
      if (!user) { await edit(main, state.selected); box.querySelector("#user-ok").textContent = t("admin.users.created"); return; }
      ok.textContent = t("admin.saved");
    } catch (err) {
      error.textContent = refusal(err);
    }
  });
  if (user) wireAccount(main, box, user);
  applyI18n(box);
  box.querySelector("#editor-title").focus({ preventScroll: !matchMedia("(max-width: 1099px)").matches });
}

/** A date with its year (an expiry may be months away), in the page's language. */
function dateOf(iso) {
  return new Date(iso).toLocaleDateString(document.documentElement.lang || "zh-CN",
    { year: "numeric", month: "2-digit", day: "2-digit" });
}

function accountBox(user) {
  return `<div class="account">
    <h4>${t("admin.users.password_reset")}</h4>
    <form id="pw-form" class="row-form">
      <label>${t("admin.users.new_password")}<input name="password" type="password" autocomplete="new-password" maxlength="256"
        required aria-describedby="pw-rule2"></label>
      <label class="inline"><input type="checkbox" name="must_change" checked> ${t("admin.users.must_change_next")}</label>
      <button type="submit">${t("admin.users.set_password")}</button>
    </form>
    <p class="hint" id="pw-rule2">${t("admin.users.password_hint")}</p>
    <p class="error" role="alert" id="pw-error"></p>
    <h4>${t(user.active ? "admin.users.deactivate" : "admin.users.reactivate")}</h4>
    ${user.active ? `<form id="deactivate-form" class="row-form">
        <label>${t("admin.users.reason")}<input name="reason" maxlength="500" required></label>
        <button type="submit" class="danger">${t("admin.users.deactivate")}</button></form>`
    : `<div class="buttons"><button type="button" id="reactivate" class="primary">${t("admin.users.reactivate")}</button></div>`}
    <div class="buttons">
      ${user.has_password ? `<button type="button" id="require-change">${t("admin.users.require_change")}</button>` : ""}
      <button type="button" id="unlock">${t("admin.users.unlock")}</button>
      <button type="button" id="user-log">${t("admin.users.log")}</button></div>
    <p class="error" role="alert" id="account-error"></p><p class="ok" role="status" id="account-ok"></p>
    <h4>${t("admin.users.sessions")}</h4><div id="sessions" class="table-wrap"></div>
    <h4>${t("admin.users.tokens")}</h4><div id="tokens" class="table-wrap"></div>
    ${user.active ? `<form id="token-form" class="row-form">
      <label>${t("admin.users.token_name")}<input name="name" maxlength="80" required placeholder="${escapeHtml(t("admin.users.token_hint"))}"></label>
      <label>${t("admin.users.token_days")}<input name="days" type="number" min="1" max="3650" value="90"></label>
      <button type="submit">${t("admin.users.token_create")}</button></form>
    <div id="new-token"></div>` : ""}
  </div>`;
}

function wireAccount(main, box, user) {
  const name = encodeURIComponent(user.username);
  const error = box.querySelector("#account-error");
  const ok = box.querySelector("#account-ok");
  const done = async (message) => {
    await load(main);
    await edit(main, user.username);
    main.querySelector("#account-ok").textContent = message;
  };
  const run = async (fn, message) => {
    error.textContent = "";
    ok.textContent = "";
    try { await fn(); await done(message); } catch (err) { error.textContent = refusal(err); }
  };
  box.querySelector("#pw-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const pwError = box.querySelector("#pw-error");
    pwError.textContent = "";
    try {
      await api(`/users/${name}/password`, { json: { password: form.password.value, must_change: form.must_change.checked } });
      await done(t("admin.users.password_set"));
    } catch (err) {
      pwError.textContent = refusal(err);
    }
  });
  box.querySelector("#deactivate-form")?.addEventListener("submit", (ev) => {
    ev.preventDefault();
    run(() => api(`/users/${name}/deactivate`, { json: { reason: ev.target.reason.value.trim() } }), t("admin.users.deactivated"));
  });
  box.querySelector("#reactivate")?.addEventListener("click", () =>
    run(() => api(`/users/${name}/reactivate`, { method: "POST" }), t("admin.users.reactivated")));
  box.querySelector("#require-change")?.addEventListener("click", () =>
    run(() => api(`/users/${name}/require-password-change`, { method: "POST" }), t("admin.users.change_required")));
  box.querySelector("#unlock").addEventListener("click", () =>
    run(() => api(`/users/${name}/unlock`, { json: {} }), t("admin.users.unlocked")));
  box.querySelector("#user-log").addEventListener("click", () => showLogFor(user.username));
  box.querySelector("#token-form")?.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    error.textContent = "";
    try {
      const made = await api("/tokens", { json: { name: form.name.value.trim(), days: Number(form.days.value) || null,
        username: user.username } });
      form.reset();
      box.querySelector("#new-token").innerHTML = `<p class="warning" role="alert">${escapeHtml(t("admin.users.token_once"))}</p>
        <p><code class="password" id="token-value">${escapeHtml(made.token)}</code></p>`;
      loadAccess(box, user);
    } catch (err) {
      error.textContent = refusal(err);
    }
  });
  loadAccess(box, user);
}

async function loadAccess(box, user) {
  const [sessions, tokens] = await Promise.all([
    api("/sessions", { query: { username: user.username } }).catch(() => []),
    api("/tokens", { query: { username: user.username } }).catch(() => [])]);
  const sBox = box.querySelector("#sessions");
  const tBox = box.querySelector("#tokens");
  if (!sBox || !tBox) return;
  sBox.innerHTML = sessions.length ? `<table class="grid-table"><thead><tr><th scope="col">${t("admin.users.client")}</th>
      <th scope="col">${t("admin.users.signed_in")}</th><th scope="col">${t("admin.users.last_seen")}</th><th scope="col"></th></tr></thead>
    <tbody>${sessions.map((s) => `<tr><td>${escapeHtml(s.client)}<br><span class="muted small">${escapeHtml(s.user_agent.slice(0, 60))}</span></td>
      <td>${when(s.created_at)}</td><td>${when(s.last_seen_at)}</td>
      <td><button type="button" data-session="${s.id}">${t(s.current ? "admin.users.end_mine" : "admin.users.end")}</button></td></tr>`).join("")}
    </tbody></table>` : `<p class="muted">${t("admin.users.no_sessions")}</p>`;
  tBox.innerHTML = tokens.length ? `<table class="grid-table"><thead><tr><th scope="col">${t("admin.users.token_name")}</th>
      <th scope="col">${t("admin.users.expires")}</th><th scope="col">${t("admin.users.last_used")}</th><th scope="col"></th></tr></thead>
    <tbody>${tokens.map((k) => `<tr><td>${escapeHtml(k.name)}</td><td class="nowrap">${k.expires_at ? escapeHtml(dateOf(k.expires_at)) : "—"}</td>
      <td>${k.last_used_at ? when(k.last_used_at) : "—"}</td>
      <td><button type="button" data-token="${k.id}">${t("admin.users.revoke")}</button></td></tr>`).join("")}
    </tbody></table>` : `<p class="muted">${t("admin.users.no_tokens")}</p>`;
  const error = box.querySelector("#account-error");
  sBox.querySelectorAll("[data-session]").forEach((b) => b.addEventListener("click", async () => {
    try { await api(`/sessions/${b.dataset.session}`, { method: "DELETE" }); loadAccess(box, user); } catch (err) { error.textContent = refusal(err); }
  }));
  tBox.querySelectorAll("[data-token]").forEach((b) => b.addEventListener("click", async () => {
    try { await api(`/tokens/${b.dataset.token}`, { method: "DELETE" }); loadAccess(box, user); } catch (err) { error.textContent = refusal(err); }
  }));
}
