// Departments (issue 13): each department's name, leader, calendar, webhook (receiver and delivery status) and the
// open cases it holds by light; a department edited in a form (PATCH /departments/{code}), its leader chosen among
// its users (PATCH /users/{username} is_leader), its webhook set, its secret rotated (shown once), removed and
// tested (PUT, DELETE /departments/{code}/webhook, POST …/webhook/test). Every act is an /api/v1 call.
import { api, escapeHtml, option, when } from "../common/api.js";
import { oneLanguage, t } from "../i18n/index.js";
import { refusal } from "./catalogue.js";

const en = () => document.documentElement.lang === "en";
const state = { departments: [], calendars: [], lights: {}, hooks: {}, leaders: {}, editing: null };

const deptName = (d) => (en() ? d.name_en || d.name : d.name);
const calName = (code) => oneLanguage(state.calendars.find((c) => c.code === code)?.name) || code || t("admin.dept.standard");

async function load() {
  const [departments, calendars, lights, hooks, users] = await Promise.all([api("/departments"),
    api("/calendars").catch(() => []), api("/departments/lights").catch(() => []), api("/webhooks").catch(() => []),
    api("/users", { query: { active: true, leader: true } }).catch(() => [])]);
  state.departments = departments;
  state.calendars = calendars;
  state.lights = Object.fromEntries(lights.map((l) => [l.department_code, l]));
  state.hooks = Object.fromEntries(hooks.map((h) => [h.department_code, h]));
  state.leaders = {};
  for (const u of users) if (u.is_leader && u.department_code) (state.leaders[u.department_code] ||= []).push(u);
}

export async function renderDepartments(main) {
  await load();
  main.innerHTML = `<div class="section-head"><h2 data-i18n="admin.nav.departments"></h2></div>
    <p class="hint">${t("admin.dept.hint")}</p>
    <p class="ok" role="status" id="dept-ok"></p><p class="error" role="alert" id="dept-error"></p>
    <div id="dept-table"></div><div id="dept-editor"></div>`;
  drawTable(main);
  if (state.editing) await edit(main, state.editing, false);
}

function hookCell(d) {
  if (!d.webhook) return "—";
  const h = state.hooks[d.code];
  const parts = [`<code>${escapeHtml(h?.receiver || d.webhook.host)}</code>`];
  if (d.webhook.secret_set) parts.push(t("admin.dept.signed"));
  if (h) {
    parts.push(`<span class="${h.failed || h.backlog > 10 ? "badge bad" : ""}">${escapeHtml(t("admin.dept.backlog", { backlog: h.backlog, failed: h.failed }))}</span>`);
    if (h.last_success_at) parts.push(escapeHtml(t("admin.dept.last_success", { at: when(h.last_success_at) })));
    if (h.last_failure_at) parts.push(`<span class="row-errors">${escapeHtml(t("admin.dept.last_failure", { at: when(h.last_failure_at), error: h.last_error }))}</span>`);
  }
  return parts.join("<br>");
}

function drawTable(main) {
  const box = main.querySelector("#dept-table");
  box.innerHTML = `<div class="table-wrap"><table class="grid-table" id="dept-list"><thead><tr>
      <th scope="col">${t("admin.dept.code")}</th><th scope="col">${t("admin.dept.name")}</th>
      <th scope="col">${t("admin.dept.leader")}</th><th scope="col">${t("admin.dept.calendar")}</th>
      <th scope="col">${t("admin.dept.webhook")}</th><th scope="col" class="num">${t("admin.dept.open")}</th>
      <th scope="col" class="num">${t("admin.dept.yellow")}</th><th scope="col" class="num">${t("admin.dept.red")}</th>
      <th scope="col"><span class="sr-only">${t("admin.dept.edit")}</span></th></tr></thead>
    <tbody>${state.departments.map((d) => {
      const l = state.lights[d.code] || { open: 0, yellow: 0, red: 0 };
      const leaders = (state.leaders[d.code] || []).map((u) => u.display_name || u.username).join("、");
      return `<tr data-code="${escapeHtml(d.code)}" class="${state.editing === d.code ? "on" : ""}">
        <td><code>${escapeHtml(d.code)}</code></td><td>${escapeHtml(deptName(d))}${d.phone ? `<br><span class="small">${escapeHtml(d.phone)}</span>` : ""}</td>
        <td>${escapeHtml(leaders || "—")}</td><td>${escapeHtml(calName(d.calendar_code))}</td>
        <td class="small" data-hook>${hookCell(d)}</td><td class="num">${l.open}</td>
        <td class="num">${l.yellow ? `<span class="badge warn">${l.yellow}</span>` : 0}</td>
        <td class="num">${l.red ? `<span class="badge bad">${l.red}</span>` : 0}</td>
        <td><button type="button" data-edit="${escapeHtml(d.code)}" aria-label="${escapeHtml(`${t("admin.dept.edit")} ${deptName(d)}`)}">${t("admin.dept.edit")}</button></td></tr>`;
    }).join("")}</tbody></table></div>`;
  box.querySelectorAll("[data-edit]").forEach((b) => b.addEventListener("click", () => edit(main, b.dataset.edit, true)));
}

async function refresh(main, code) {
  await load();
  drawTable(main);
  await edit(main, code, false);
}

async function edit(main, code, focus) {
  const d = state.departments.find((x) => x.code === code);
  if (!d) return;
  state.editing = code;
  main.querySelectorAll("#dept-list tr[data-code]").forEach((tr) => tr.classList.toggle("on", tr.dataset.code === code));
  const users = await api("/users", { query: { department: code, active: true } }).catch(() => []);
  const leader = users.find((u) => u.is_leader)?.username || "";
  const box = main.querySelector("#dept-editor");
  box.innerHTML = `<section class="card editor" aria-labelledby="dept-edit-title">
    <h3 id="dept-edit-title" tabindex="-1">${escapeHtml(t("admin.dept.edit_title", { code }))} · ${escapeHtml(deptName(d))}</h3>
    <form id="dept-form" novalidate>
      <div class="fields">
        <label>${t("admin.dept.name")}<input name="name" maxlength="64" value="${escapeHtml(d.name)}" required></label>
        <label>${t("admin.dept.name_en")}<input name="name_en" maxlength="128" value="${escapeHtml(d.name_en)}"></label>
        <label>${t("admin.dept.phone")}<input name="phone" type="tel" maxlength="32" value="${escapeHtml(d.phone)}"></label>
        <label>${t("admin.dept.calendar")}<select name="calendar_code">${option("", t("admin.dept.standard"), d.calendar_code || "")}
          ${state.calendars.map((c) => option(c.code, `${oneLanguage(c.name)} (${c.code})`, d.calendar_code || "")).join("")}</select></label>
        <label>${t("admin.dept.leader")}<select name="leader" aria-describedby="dept-leader-hint">${option("", t("admin.dept.no_leader"), leader)}
          ${users.map((u) => option(u.username, `${u.display_name || u.username} (${u.username})`, leader)).join("")}</select></label>
      </div>
      <p class="hint" id="dept-leader-hint">${t("admin.dept.leader_hint")}</p>
      <div class="buttons"><button type="submit" class="primary">${t("admin.save")}</button><button type="button" data-close>${t("admin.close")}</button></div>
      <p class="error" role="alert" id="dept-form-error"></p><p class="ok" role="status" id="dept-form-ok"></p>
    </form>
    <form id="hook-form" novalidate>
      <h4>${t("admin.dept.webhook")}</h4>
      <p class="hint">${d.webhook ? escapeHtml(t("admin.dept.hook_now", { host: d.webhook.host })) : t("admin.dept.hook_none")}</p>
      <div class="row-form">
        <label>${t("admin.dept.hook_url")}<input name="url" type="url" maxlength="500" placeholder="https://" autocomplete="off" required></label>
        <label class="inline"><input type="checkbox" name="rotate"> ${t("admin.dept.rotate")}</label>
      </div>
      <div class="buttons"><button type="submit">${t("admin.dept.hook_save")}</button>
        ${d.webhook ? `<button type="button" id="hook-test">${t("admin.dept.hook_test")}</button>
        <button type="button" id="hook-remove">${t("admin.dept.hook_remove")}</button>` : ""}</div>
      <div id="hook-secret"></div>
      <p class="error" role="alert" id="hook-error"></p><p class="ok" role="status" id="hook-ok"></p>
    </form></section>`;
  if (focus) box.querySelector("h3").focus();
  box.querySelector("[data-close]").addEventListener("click", () => {
    state.editing = null;
    box.innerHTML = "";
    drawTable(main);
    main.querySelector(`[data-edit="${code}"]`)?.focus();
  });
  box.querySelector("#dept-form").addEventListener("submit", (ev) => { ev.preventDefault(); save(main, d, users, leader); });
  box.querySelector("#hook-form").addEventListener("submit", (ev) => { ev.preventDefault(); setHook(main, d); });
  box.querySelector("#hook-test")?.addEventListener("click", () => testHook(main, d));
  box.querySelector("#hook-remove")?.addEventListener("click", () => removeHook(main, d));
}

async function save(main, d, users, leader) {
  const form = main.querySelector("#dept-form");
  const error = form.querySelector("#dept-form-error");
  error.textContent = "";
  const body = {};
  for (const key of ["name", "name_en", "phone", "calendar_code"]) {
    if (form[key].value !== (d[key] ?? "")) body[key] = form[key].value;
  }
  const chosen = form.leader.value;
  try {
    if (Object.keys(body).length) await api(`/departments/${encodeURIComponent(d.code)}`, { method: "PATCH", json: body });
    if (chosen !== leader) {  // one leader: the chosen user is, the department's other users are not
      for (const u of users.filter((x) => x.is_leader && x.username !== chosen)) {
        await api(`/users/${encodeURIComponent(u.username)}`, { method: "PATCH", json: { is_leader: false } });
      }
      if (chosen) await api(`/users/${encodeURIComponent(chosen)}`, { method: "PATCH", json: { is_leader: true } });
    }
    await refresh(main, d.code);
    main.querySelector("#dept-form-ok").textContent = t("admin.dept.saved", { code: d.code });
  } catch (err) {
    error.textContent = refusal(err);
  }
}

async function setHook(main, d) {
  const form = main.querySelector("#hook-form");
  const error = form.querySelector("#hook-error");
  error.textContent = "";
  if (!form.url.value.trim()) { error.textContent = t("admin.dept.hook_url_needed"); form.url.focus(); return; }
  try {
    const done = await api(`/departments/${encodeURIComponent(d.code)}/webhook`, { method: "PUT",
      json: { url: form.url.value.trim(), rotate_secret: form.rotate.checked } });
    await refresh(main, d.code);
    main.querySelector("#hook-ok").textContent = t("admin.dept.hook_saved", { receiver: done.receiver });
    if (done.secret) showSecret(main, done.secret);
  } catch (err) {
    error.textContent = refusal(err);
  }
}

/** A new signing secret, shown this once: the receiver's people need it to check the signatures. */
function showSecret(main, secret) {
  main.querySelector("#hook-secret").innerHTML = `<p class="warning" role="alert">${escapeHtml(t("admin.dept.secret_once"))}</p>
    <p><code class="password" id="hook-secret-value">${escapeHtml(secret)}</code></p>`;
}

async function removeHook(main, d) {
  if (!window.confirm(t("admin.dept.hook_remove_confirm", { code: d.code }))) return;
  try {
    await api(`/departments/${encodeURIComponent(d.code)}/webhook`, { method: "DELETE" });
    await refresh(main, d.code);
    main.querySelector("#hook-ok").textContent = t("admin.dept.hook_removed");
  } catch (err) {
    main.querySelector("#hook-error").textContent = refusal(err);
  }
}

async function testHook(main, d) {
  const ok = main.querySelector("#hook-ok");
  const error = main.querySelector("#hook-error");
  const button = main.querySelector("#hook-test");
  ok.textContent = error.textContent = "";
  button.disabled = true;
  ok.textContent = t("admin.dept.hook_testing");
  try {
    const r = await api(`/departments/${encodeURIComponent(d.code)}/webhook/test`, { method: "POST" });
    ok.textContent = "";
    if (r.ok) ok.textContent = t("admin.dept.test_ok", { status: r.status_code, ms: r.elapsed_ms });
    else error.textContent = t("admin.dept.test_failed", { error: r.error || `HTTP ${r.status_code}`, ms: r.elapsed_ms });
  } catch (err) {
    ok.textContent = "";
    error.textContent = refusal(err);
  } finally {
    button.disabled = false;
  }
}
