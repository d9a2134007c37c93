// The category catalogue (issue 13; departments: departments.js): the catalogue as a tree
// (kind → major → minor) with each minor's default department, limits, photo rule, public names and state;
// a minor edited in a form (PATCH /categories/{code}, the API's words on a refusal), enabled or disabled;
// the whole catalogue exported as a file (GET /catalogue/export) and a file imported with a preview first
// (POST /catalogue/import, then ?apply=true).
import { api, escapeHtml, option } from "../common/api.js";
import { t } from "../i18n/index.js";

const en = () => document.documentElement.lang === "en";

/** An API refusal in the page's words, with the API's own message when the page's words are generic. */
export function refusal(err) {
  const own = err?.body?.message;
  return own && own !== err.message ? `${err.message} — ${own}` : err?.message || String(err);
}

const state = { categories: [], departments: [], showInactive: true, editing: null, file: null };

function deptName(code) {
  const d = state.departments.find((x) => x.code === code);
  return d ? (en() ? d.name_en || d.name : d.name) : code || "—";
}


export async function renderCategories(main) {
  [state.categories, state.departments] = await Promise.all([
    api("/categories", { query: { include_inactive: true } }), api("/departments").catch(() => [])]);
  main.innerHTML = `<div class="section-head"><h2 data-i18n="admin.nav.categories"></h2>
      <div class="buttons"><a class="button" id="cat-export" href="/api/v1/catalogue/export" download="gridops-catalogue.json">${t("admin.catalogue.export")}</a>
        <button type="button" id="cat-import-open" aria-expanded="false" aria-controls="cat-import">${t("admin.catalogue.import")}</button></div></div>
    <p class="hint">${t("admin.catalogue.hint")}</p>
    <section class="card import" id="cat-import" hidden aria-labelledby="cat-import-title">
      <h3 id="cat-import-title" tabindex="-1">${t("admin.catalogue.import")}</h3>
      <p class="hint">${t("admin.catalogue.import_hint")}</p>
      <form id="cat-import-form" class="row-form">
        <label>${t("admin.catalogue.file")}<input type="file" name="file" accept=".json,application/json" required></label>
        <button type="submit">${t("admin.catalogue.preview")}</button>
        <p class="error" role="alert" id="cat-import-error"></p>
      </form>
      <div id="cat-import-result" aria-live="polite"></div>
    </section>
    <label class="inline"><input type="checkbox" id="cat-inactive" ${state.showInactive ? "checked" : ""}> ${t("admin.catalogue.show_inactive")}</label>
    <p class="ok" role="status" id="cat-ok"></p><p class="error" role="alert" id="cat-error"></p>
    <div class="users-grid" id="cat-layout"><div id="cat-tree"></div><div id="cat-editor"></div></div>`;
  drawTree(main);
  main.querySelector("#cat-inactive").addEventListener("change", (ev) => { state.showInactive = ev.target.checked; drawTree(main); });
  const panel = main.querySelector("#cat-import");
  const opener = main.querySelector("#cat-import-open");
  opener.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    opener.setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) panel.querySelector("h3").focus();
  });
  main.querySelector("#cat-import-form").addEventListener("submit", (ev) => { ev.preventDefault(); importFile(main, false); });
  if (state.editing) edit(main, state.editing, false);
}

/** The tree alone at full width; with a class's form open, the tree wider than the form, which stays in sight
 * (on a laptop and wider; narrower screens stack them, admin.css). */
function layout(main) {
  const grid = main.querySelector("#cat-layout");
  const editor = main.querySelector("#cat-editor");
  const wide = window.matchMedia("(min-width: 1100px)").matches;
  grid.style.gridTemplateColumns = wide && state.editing ? "minmax(0, 1.7fr) minmax(0, 1fr)" : "minmax(0, 1fr)";
  Object.assign(editor.style, wide && state.editing
    ? { position: "sticky", top: "8px", maxHeight: "calc(100vh - 16px)", overflowY: "auto" }
    : { position: "", top: "", maxHeight: "", overflowY: "" });
}

function drawTree(main) {
  layout(main);
  const box = main.querySelector("#cat-tree");
  const shown = state.categories.filter((c) => state.showInactive || c.active);
  const kinds = [...new Set(shown.map((c) => c.kind))];
  box.innerHTML = kinds.map((kind) => {
    const ofKind = shown.filter((c) => c.kind === kind);
    const majors = [...new Set(ofKind.map((c) => c.major_code))];
    return `<details open class="cat-kind" data-kind="${escapeHtml(kind)}"><summary><h3>${escapeHtml(t(`admin.cat.kind.${kind}`))}</h3></summary>
      ${majors.map((major) => {
        const minors = ofKind.filter((c) => c.major_code === major);
        const first = minors[0];
        return `<details open class="cat-major" data-major="${escapeHtml(major)}">
          <summary><strong><code>${escapeHtml(major)}</code> ${escapeHtml(en() ? first.major_name_en : first.major_name)}</strong>
            <span class="muted small">· ${t("admin.catalogue.minors", { n: minors.length })}</span></summary>
          <div class="table-wrap"><table class="grid-table"><thead><tr><th scope="col">${t("admin.cat.code")}</th>
            <th scope="col">${t("admin.cat.name")}</th><th scope="col">${t("admin.catalogue.public")}</th>
            <th scope="col">${t("admin.cat.department")}</th><th scope="col">${t("admin.cat.limits")}</th>
            <th scope="col">${t("admin.cat.photo")}</th><th scope="col">${t("admin.catalogue.active")}</th><th scope="col"><span class="sr-only">${t("admin.catalogue.edit")}</span></th></tr></thead>
          <tbody>${minors.map((c) => row(c)).join("")}</tbody></table></div></details>`;
      }).join("")}</details>`;
  }).join("");
  box.querySelectorAll("[data-edit]").forEach((b) => b.addEventListener("click", () => edit(main, b.dataset.edit, true)));
  box.querySelectorAll("[data-toggle]").forEach((b) => b.addEventListener("click", () => toggle(main, b.dataset.toggle)));
}

function row(c) {
  const pub = en() ? c.public_name_en || c.name_en : c.public_name || c.name;
  return `<tr data-code="${escapeHtml(c.code)}" class="${c.active ? "" : "inactive"} ${state.editing === c.code ? "on" : ""}">
    <td><code>${escapeHtml(c.code)}</code></td><td class="${en() ? "" : "nowrap"}">${escapeHtml(en() ? c.name_en : c.name)}</td>
    <td class="public">${escapeHtml(pub)}</td><td>${escapeHtml(deptName(c.default_department_code))}</td>
    <td class="nowrap">${c.limit_hours_normal} / ${c.limit_hours_urgent} / ${c.limit_hours_critical} ${escapeHtml(t(`admin.sla.basis.${c.time_basis}`))}</td>
    <td>${c.after_photo_required ? t("admin.yes") : t("admin.no")}</td>
    <td>${c.active ? t("admin.catalogue.on") : `<span class="badge off">${t("admin.catalogue.off")}</span>`}</td>
    <td class="nowrap"><button type="button" data-edit="${escapeHtml(c.code)}" aria-label="${escapeHtml(`${t("admin.catalogue.edit")} ${c.code}`)}">${t("admin.catalogue.edit")}</button>
      <button type="button" data-toggle="${escapeHtml(c.code)}" aria-label="${escapeHtml(`${t(c.active ? "admin.catalogue.disable" : "admin.catalogue.enable")} ${c.code}`)}">${t(c.active ? "admin.catalogue.disable" : "admin.catalogue.enable")}</button></td></tr>`;
}

function replace(cat) {
  state.categories = state.categories.map((c) => (c.code === cat.code ? cat : c));
}

async function toggle(main, code) {
  const cat = state.categories.find((c) => c.code === code);
  const ok = main.querySelector("#cat-ok");
  const error = main.querySelector("#cat-error");
  ok.textContent = error.textContent = "";
  try {
    replace(await api(`/categories/${encodeURIComponent(code)}`, { method: "PATCH", json: { active: !cat.active } }));
    ok.textContent = t("admin.catalogue.saved", { code });
    drawTree(main);
    main.querySelector(`[data-toggle="${code}"]`)?.focus();
    if (state.editing === code) edit(main, code, false);
  } catch (err) {
    error.textContent = refusal(err);
  }
}

function edit(main, code, focus) {
  const c = state.categories.find((x) => x.code === code);
  if (!c) return;
  state.editing = code;
  layout(main);
  main.querySelectorAll("#cat-tree tr[data-code]").forEach((tr) => tr.classList.toggle("on", tr.dataset.code === code));
  const box = main.querySelector("#cat-editor");
  const num = (name, key) => `<label>${t(`admin.catalogue.${key}`)}<input name="${name}" type="number" min="0.1" max="8760" step="0.1"
    value="${c[name]}" required aria-describedby="cat-limits-hint"></label>`;
  box.innerHTML = `<section class="card editor" aria-labelledby="cat-edit-title">
    <h3 id="cat-edit-title" tabindex="-1">${escapeHtml(t("admin.catalogue.edit_title", { code }))} · ${escapeHtml(en() ? c.name_en : c.name)}</h3>
    <form id="cat-form" novalidate>
      <div class="fields">
        <label>${t("admin.catalogue.name")}<input name="name" maxlength="64" value="${escapeHtml(c.name)}" required></label>
        <label>${t("admin.catalogue.name_en")}<input name="name_en" maxlength="128" value="${escapeHtml(c.name_en)}" required></label>
        <label>${t("admin.catalogue.public_name")}<input name="public_name" maxlength="64" value="${escapeHtml(c.public_name)}"></label>
        <label>${t("admin.catalogue.public_name_en")}<input name="public_name_en" maxlength="128" value="${escapeHtml(c.public_name_en)}"></label>
        <label>${t("admin.catalogue.department")}<select name="default_department_code">${option("", t("admin.catalogue.no_department"), c.default_department_code || "")}
          ${state.departments.map((d) => option(d.code, `${deptName(d.code)} (${d.code})`, c.default_department_code || "")).join("")}</select></label>
        ${num("limit_hours_normal", "normal")}${num("limit_hours_urgent", "urgent")}${num("limit_hours_critical", "critical")}
        <label>${t("admin.catalogue.basis")}<select name="time_basis">${["working", "natural"].map((b) => option(b, t(`admin.sla.basis.${b}`), c.time_basis)).join("")}</select></label>
      </div>
      <p class="hint" id="cat-limits-hint">${t("admin.catalogue.limits_hint")}</p>
      <label class="inline"><input type="checkbox" name="after_photo_required" ${c.after_photo_required ? "checked" : ""}> ${t("admin.catalogue.photo")}</label>
      <label class="inline"><input type="checkbox" name="active" ${c.active ? "checked" : ""}> ${t("admin.catalogue.is_active")}</label>
      <div class="buttons"><button type="submit" class="primary">${t("admin.save")}</button><button type="button" data-close>${t("admin.close")}</button></div>
      <p class="error" role="alert" id="cat-form-error"></p><p class="ok" role="status" id="cat-form-ok"></p>
    </form></section>`;
  if (focus) box.querySelector("h3").focus();
  const form = box.querySelector("#cat-form");
  box.querySelector("[data-close]").addEventListener("click", () => {
    state.editing = null;
    box.innerHTML = "";
    drawTree(main);
    main.querySelector(`[data-edit="${code}"]`)?.focus();
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const error = form.querySelector("#cat-form-error");
    const ok = form.querySelector("#cat-form-ok");
    error.textContent = ok.textContent = "";
    const body = {};
    for (const key of ["name", "name_en", "public_name", "public_name_en", "default_department_code", "time_basis"]) {
      if (form[key].value !== (c[key] ?? "")) body[key] = form[key].value;
    }
    for (const key of ["limit_hours_normal", "limit_hours_urgent", "limit_hours_critical"]) {
      const value = Number(form[key].value);
      if (form[key].value.trim() === "" || Number.isNaN(value)) body[key] = form[key].value; // the API says what is wrong
      else if (value !== c[key]) body[key] = value;
    }
    for (const key of ["after_photo_required", "active"]) if (form[key].checked !== c[key]) body[key] = form[key].checked;
    try {
      const saved = await api(`/categories/${encodeURIComponent(code)}`, { method: "PATCH", json: body });
      replace(saved);
      drawTree(main);
      edit(main, code, false);
      main.querySelector("#cat-form-ok").textContent = t("admin.catalogue.saved", { code });
    } catch (err) {
      error.textContent = refusal(err);
      error.scrollIntoView({ block: "nearest" });
    }
  });
}

const shownValue = (v) => (v === null || v === undefined || v === "" ? "—" : typeof v === "boolean" ? t(v ? "admin.yes" : "admin.no") : String(v));

async function importFile(main, apply) {
  const form = main.querySelector("#cat-import-form");
  const error = main.querySelector("#cat-import-error");
  const box = main.querySelector("#cat-import-result");
  error.textContent = "";
  if (!apply) {
    state.file = form.file.files[0] || null;
    box.innerHTML = "";
  }
  if (!state.file) { form.file.focus(); return; }
  const data = new FormData();
  data.append("file", state.file);
  let plan;
  try {
    plan = await api("/catalogue/import", { method: "POST", query: { apply: apply ? "true" : "false" }, form: data });
  } catch (err) {
    error.textContent = refusal(err);
    if (err.body?.refused) box.innerHTML = refusedTable(err.body.refused);
    return;
  }
  if (plan.applied) {
    box.innerHTML = `<p class="ok summary" id="cat-import-summary">${t("admin.catalogue.applied", { added: plan.added.length, changed: plan.changed.length })}</p>`;
    state.file = null;
    form.reset();
    state.categories = await api("/categories", { query: { include_inactive: true } });
    drawTree(main);
    return;
  }
  const summary = t("admin.catalogue.summary", { added: plan.added.length, changed: plan.changed.length,
    unchanged: plan.unchanged.length, refused: plan.refused.length, not_in_file: plan.not_in_file.length });
  const canApply = !plan.refused.length && (plan.added.length || plan.changed.length);
  box.innerHTML = `<p class="summary" id="cat-import-summary">${escapeHtml(summary)}</p>
    ${plan.refused.length ? `<h4>${t("admin.catalogue.refused")}</h4><p class="warning">${t("admin.catalogue.refused_note")}</p>${refusedTable(plan.refused)}` : ""}
    ${plan.added.length ? `<h4>${t("admin.catalogue.added")}</h4><div class="table-wrap"><table class="grid-table"><thead><tr>
      <th scope="col">${t("admin.cat.code")}</th><th scope="col">${t("admin.catalogue.name")}</th><th scope="col">${t("admin.cat.department")}</th></tr></thead>
      <tbody>${plan.added.map((a) => `<tr class="good" data-code="${escapeHtml(a.code)}"><td><code>${escapeHtml(a.code)}</code></td>
        <td>${escapeHtml(a.values.name ?? "")} / ${escapeHtml(a.values.name_en ?? "")}</td><td>${escapeHtml(deptName(a.values.default_department_code))}</td></tr>`).join("")}</tbody></table></div>` : ""}
    ${plan.changed.length ? `<h4>${t("admin.catalogue.changed")}</h4><div class="table-wrap"><table class="grid-table"><thead><tr>
      <th scope="col">${t("admin.cat.code")}</th><th scope="col">${t("admin.catalogue.field")}</th><th scope="col">${t("admin.catalogue.before")}</th>
      <th scope="col">${t("admin.catalogue.after")}</th></tr></thead>
      <tbody>${plan.changed.map((c) => c.changes.map((f, i) => `<tr data-code="${escapeHtml(c.code)}">${i === 0 ? `<th scope="rowgroup" rowspan="${c.changes.length}"><code>${escapeHtml(c.code)}</code></th>` : ""}
        <td><code>${escapeHtml(f.field)}</code></td><td>${escapeHtml(shownValue(f.before))}</td><td><strong>${escapeHtml(shownValue(f.after))}</strong></td></tr>`).join("")).join("")}</tbody></table></div>` : ""}
    ${!plan.added.length && !plan.changed.length && !plan.refused.length ? `<p class="hint">${t("admin.catalogue.nothing")}</p>` : ""}
    ${canApply ? `<div class="buttons"><button type="button" class="primary" id="cat-import-apply">${t("admin.catalogue.apply")}</button></div>` : ""}`;
  box.querySelector("#cat-import-apply")?.addEventListener("click", () => importFile(main, true));
}

function refusedTable(refused) {
  return `<div class="table-wrap"><table class="grid-table"><thead><tr><th scope="col">${t("admin.catalogue.entry")}</th>
    <th scope="col">${t("admin.cat.code")}</th><th scope="col">${t("admin.catalogue.reasons")}</th></tr></thead>
    <tbody>${refused.map((r) => `<tr class="bad"><td><code class="detail">${escapeHtml(r.entry)}</code></td><td><code>${escapeHtml(r.code || "—")}</code></td>
      <td class="row-errors">${r.reasons.map((x) => escapeHtml(x)).join("<br>")}</td></tr>`).join("")}</tbody></table></div>`;
}
