// Routing rules (issue 13): the rules in force (GET /routing-rules) and "try it": a point picked on a map of
// the grid (or typed as lat,lng), a category and an urgency give the department the service would route to and
// why; with a proposed rule edit (category, area, urgency → department) the decision before and after, side by
// side (POST /routing-rules/try). Nothing is saved: rules are changed with the CLI (`gridops rule add`).
import { api, escapeHtml, option, routingReason } from "../common/api.js";
import { basemap } from "../common/basemap.js";
import { t } from "../i18n/index.js";
import { cellPicker } from "./cellmap.js";
import { refusal } from "./catalogue.js";

const en = () => document.documentElement.lang === "en";
const URGENCIES = ["normal", "urgent", "critical"];
const state = { picker: null, point: null, cell: null };


export async function renderRouting(main) {
  state.picker?.remove();
  state.picker = null;
  const [rules, categories, departments] = await Promise.all([api("/routing-rules"), api("/categories"),
    api("/departments").catch(() => [])]);
  const deptName = (code) => {
    const d = departments.find((x) => x.code === code);
    return d ? (en() ? d.name_en || d.name : d.name) : code;
  };
  const catName = (code) => {
    if (!code) return t("admin.routing.any");
    const minor = categories.find((c) => c.code === code);
    if (minor) return `${code} ${en() ? minor.name_en : minor.name}`;
    const major = categories.find((c) => c.major_code === code);
    return major ? `${code} ${en() ? major.major_name_en : major.major_name}` : code;
  };
  const majors = [...new Set(categories.map((c) => c.major_code))];
  const point = state.point ? `${state.point[1].toFixed(6)},${state.point[0].toFixed(6)}` : "";
  main.innerHTML = `<div class="section-head"><h2 data-i18n="admin.nav.routing"></h2></div>
    <p class="hint">${t("admin.routing.hint")}</p>
    <h3>${t("admin.routing.rules")}</h3>
    <div class="table-wrap"><table class="grid-table" id="rules"><thead><tr><th scope="col">${t("admin.routing.id")}</th>
      <th scope="col">${t("admin.routing.category")}</th><th scope="col">${t("admin.routing.area")}</th>
      <th scope="col">${t("admin.routing.urgency")}</th><th scope="col">${t("admin.routing.department")}</th>
      <th scope="col">${t("admin.routing.note")}</th><th scope="col"><span class="sr-only">${t("admin.routing.propose")}</span></th></tr></thead>
    <tbody>${rules.length ? rules.map((r) => `<tr data-rule="${r.id}"><td class="num">${r.id}</td><td>${escapeHtml(catName(r.category))}</td>
      <td><code>${escapeHtml(r.area_code || t("routing.everywhere"))}</code></td><td>${escapeHtml(r.urgency ? t(`urgency.${r.urgency}`) : t("admin.routing.any"))}</td>
      <td>${escapeHtml(deptName(r.department_code))} <code class="small">${escapeHtml(r.department_code)}</code></td><td>${escapeHtml(r.note || "")}</td>
      <td><button type="button" data-propose="${r.id}">${t("admin.routing.try")}</button></td></tr>`).join("")
      : `<tr><td colspan="7" class="hint">${t("admin.routing.none")}</td></tr>`}</tbody></table></div>
    <section class="card" id="try" aria-labelledby="try-title">
      <h3 id="try-title" tabindex="-1">${t("admin.routing.try")}</h3>
      <p class="hint">${t("admin.routing.try_hint")}</p>
      <div class="users-grid">
        <form id="try-form" novalidate>
          <div class="editor"><div class="fields">
            <label>${t("admin.routing.point")}<input name="point" id="try-point" autocomplete="off" placeholder="${escapeHtml(t("admin.routing.point_hint"))}"
              value="${escapeHtml(point)}" aria-describedby="try-cell"></label>
            <label>${t("admin.routing.case_category")}<select name="category_code" id="try-category">
              ${majors.map((m) => {
                const minors = categories.filter((c) => c.major_code === m);
                return `<optgroup label="${escapeHtml(catName(m))}">${minors.map((c) => option(c.code, catName(c.code))).join("")}</optgroup>`;
              }).join("")}</select></label>
            <label>${t("admin.routing.urgency")}<select name="urgency" id="try-urgency">${URGENCIES.map((u) => option(u, t(`urgency.${u}`), "normal")).join("")}</select></label>
          </div></div>
          <p class="hint" id="try-cell" aria-live="polite">${state.cell ? escapeHtml(t("admin.routing.cell", { cell: state.cell })) : ""}</p>
          <fieldset class="cells"><legend>${t("admin.routing.propose")}</legend>
            <div class="editor"><div class="fields">
              <label>${t("admin.routing.rule_category")}<input name="rule_category" id="rule-category" list="rule-categories" maxlength="5" autocomplete="off"></label>
              <label>${t("admin.routing.rule_area")}<input name="rule_area" id="rule-area" maxlength="15" inputmode="numeric" autocomplete="off"></label>
              <label>${t("admin.routing.urgency")}<select name="rule_urgency" id="rule-urgency">${option("", t("admin.routing.any"))}
                ${URGENCIES.map((u) => option(u, t(`urgency.${u}`))).join("")}</select></label>
              <label>${t("admin.routing.department")}<select name="rule_department" id="rule-department">${option("", t("admin.routing.no_proposal"))}
                ${departments.map((d) => option(d.code, `${deptName(d.code)} (${d.code})`)).join("")}</select></label>
            </div></div>
            <datalist id="rule-categories">${majors.map((m) => option(m, catName(m))).join("")}${categories.map((c) => option(c.code, catName(c.code))).join("")}</datalist>
            <button type="button" id="rule-use-cell">${t("admin.routing.use_cell")}</button>
          </fieldset>
          <div class="buttons"><button type="submit" class="primary" id="try-run">${t("admin.routing.run")}</button></div>
          <p class="error" role="alert" id="try-error"></p>
        </form>
        <div><div class="cellmap" id="try-map" role="group" aria-label="${escapeHtml(t("admin.routing.map"))}"></div></div>
      </div>
      <div id="try-result" aria-live="polite"></div>
    </section>`;
  const form = main.querySelector("#try-form");
  const showCell = () => {
    main.querySelector("#try-cell").textContent = state.cell ? t("admin.routing.cell", { cell: state.cell }) : "";
  };
  main.querySelectorAll("[data-propose]").forEach((b) => b.addEventListener("click", () => {
    const r = rules.find((x) => String(x.id) === b.dataset.propose);
    form.rule_category.value = r.category;
    form.rule_area.value = r.area_code;
    form.rule_urgency.value = r.urgency;
    form.rule_department.value = r.department_code;
    main.querySelector("#try-title").scrollIntoView({ block: "start" });
    form.point.focus();
  }));
  main.querySelector("#rule-use-cell").addEventListener("click", () => { if (state.cell) form.rule_area.value = state.cell; });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); run(main, form, deptName, showCell); });

  // the map: a click picks the point (shifted back to WGS-84 when the base map is GCJ-02) and shows the decision
  const box = main.querySelector("#try-map");
  const chosen = new Set(state.cell ? [state.cell] : []);
  const picker = await cellPicker(box, chosen, (code) => {
    chosen.clear();
    chosen.add(code);
    state.picker?.update(chosen);
  });
  if (!picker || !box.isConnected) return;
  state.picker = picker;
  const cfg = await basemap();
  box.map.on("click", (ev) => {
    const [lng, lat] = cfg.fromMap(ev.lngLat.lng, ev.lngLat.lat);
    form.point.value = `${lat.toFixed(6)},${lng.toFixed(6)}`;
    run(main, form, deptName, showCell);
  });
  box.map.getCanvas().tabIndex = -1; // the typed point is the keyboard's way; the canvas is for the mouse
}

/** The decision's reason in the page's words; a proposed new rule has no number yet. */
function reason(d, deptName) {
  if (d.rule?.proposed && d.rule.id == null) {
    const r = d.rule;
    return t("admin.routing.proposed_reason", { category: r.category || t("routing.any_category"),
      area: r.area_code || t("routing.everywhere"), urgency: r.urgency ? t(`urgency.${r.urgency}`) : t("admin.routing.any"),
      department: deptName(r.department_code) });
  }
  return routingReason(d, deptName);
}

function parsePoint(text) {
  const parts = text.split(/[,，\s]+/).filter(Boolean).map(Number);
  if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n))) return null;
  return [parts[1], parts[0]]; // lat,lng typed → [lng, lat]
}

async function run(main, form, deptName, showCell) {
  const error = main.querySelector("#try-error");
  const box = main.querySelector("#try-result");
  error.textContent = "";
  const point = parsePoint(form.point.value);
  if (!point) {
    error.textContent = t("admin.routing.bad_point");
    form.point.focus();
    return;
  }
  const body = { lat: point[1], lng: point[0], category_code: form.category_code.value, urgency: form.urgency.value };
  if (form.rule_department.value) {
    body.rule = { category: form.rule_category.value.trim(), area_code: form.rule_area.value.trim(),
      urgency: form.rule_urgency.value, department_code: form.rule_department.value };
  }
  let tried;
  try {
    tried = await api("/routing-rules/try", { json: body });
  } catch (err) {
    error.textContent = refusal(err);
    box.innerHTML = "";
    return;
  }
  state.point = point;
  state.cell = tried.cell_code;
  showCell();
  if (state.picker) state.picker.update(new Set([tried.cell_code]));
  const card = (id, title, d) => `<section class="card" id="${id}" data-department="${escapeHtml(d.department_code || "")}" aria-label="${escapeHtml(title)}">
      <h4>${escapeHtml(title)}</h4>
      <p class="summary">${d.department_code ? `${escapeHtml(deptName(d.department_code))} <code>${escapeHtml(d.department_code)}</code>`
        : escapeHtml(t("admin.routing.no_department"))}</p>
      <p>${escapeHtml(reason(d, deptName))}${d.rule?.proposed ? ` <strong>${t("admin.routing.proposed_rule")}</strong>` : ""}</p></section>`;
  const differs = tried.after && tried.after.department_code !== tried.now.department_code;
  box.innerHTML = `<div class="try-compare">
      ${card("try-now", t("admin.routing.now"), tried.now)}
      ${tried.after ? card("try-after", t("admin.routing.after"), tried.after) : ""}</div>
    ${tried.after ? `<p class="${differs ? "warning" : "hint"}" id="try-verdict">${t(differs ? "admin.routing.differs" : "admin.routing.same")}</p>` : ""}
    <p class="hint">${t("admin.routing.nothing_saved")}</p>`;
  box.scrollIntoView({ block: "nearest" });
}
