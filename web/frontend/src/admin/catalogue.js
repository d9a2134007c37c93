// Departments and categories, read-only for now (GET /departments, GET /categories). TODO: editing, once the
// admin APIs for them (web/api/catalogue.py) are in.
import { api, escapeHtml } from "../common/api.js";
import { t } from "../i18n/index.js";

const en = () => document.documentElement.lang === "en";

export async function renderDepartments(main) {
  const [departments, calendars] = await Promise.all([api("/departments"), api("/calendars").catch(() => [])]);
  const calName = (code) => calendars.find((c) => c.code === code)?.name || code || t("admin.dept.standard");
  main.innerHTML = `<div class="section-head"><h2 data-i18n="admin.nav.departments"></h2></div>
    <p class="hint" data-i18n="admin.read_only"></p>
    <div class="table-wrap"><table class="grid-table"><thead><tr><th scope="col">${t("admin.dept.code")}</th>
      <th scope="col">${t("admin.dept.name")}</th><th scope="col">${t("admin.dept.phone")}</th>
      <th scope="col">${t("admin.dept.calendar")}</th><th scope="col">${t("admin.dept.webhook")}</th></tr></thead>
    <tbody>${departments.map((d) => `<tr><td><code>${escapeHtml(d.code)}</code></td><td>${escapeHtml(en() ? d.name_en || d.name : d.name)}</td>
      <td>${escapeHtml(d.phone)}</td><td>${escapeHtml(calName(d.calendar_code))}</td>
      <td>${d.webhook ? `${escapeHtml(d.webhook.host)}${d.webhook.secret_set ? ` · ${t("admin.dept.signed")}` : ""}` : "—"}</td></tr>`).join("")}
    </tbody></table></div>`;
}

export async function renderCategories(main) {
  const [categories, departments] = await Promise.all([api("/categories"), api("/departments").catch(() => [])]);
  const dept = (code) => {
    const d = departments.find((x) => x.code === code);
    return d ? (en() ? d.name_en || d.name : d.name) : code || "—";
  };
  main.innerHTML = `<div class="section-head"><h2 data-i18n="admin.nav.categories"></h2></div>
    <p class="hint" data-i18n="admin.read_only"></p>
    <div class="table-wrap"><table class="grid-table"><thead><tr><th scope="col">${t("admin.cat.code")}</th>
      <th scope="col">${t("admin.cat.kind")}</th><th scope="col">${t("admin.cat.major")}</th><th scope="col">${t("admin.cat.name")}</th>
      <th scope="col">${t("admin.cat.department")}</th><th scope="col">${t("admin.cat.limits")}</th>
      <th scope="col">${t("admin.cat.photo")}</th></tr></thead>
    <tbody>${categories.map((c) => `<tr><td><code>${escapeHtml(c.code)}</code></td><td>${escapeHtml(t(`admin.cat.kind.${c.kind}`))}</td>
      <td>${escapeHtml(en() ? c.major_name_en : c.major_name)}</td><td>${escapeHtml(en() ? c.name_en : c.name)}</td>
      <td>${escapeHtml(dept(c.default_department_code))}</td>
      <td class="nowrap">${c.limit_hours_normal} / ${c.limit_hours_urgent} / ${c.limit_hours_critical} ${escapeHtml(t(`admin.sla.basis.${c.time_basis}`))}</td>
      <td>${c.after_photo_required ? t("admin.yes") : t("admin.no")}</td></tr>`).join("")}
    </tbody></table></div>`;
}
