// Cells generated in the console (issue 13): square or hexagonal cells of a given area over a community's
// boundary (or each community of a street), numbered under its code row by row from the north-west, slivers
// merged. "Preview" (POST /grid/generate/preview) answers what an upload's preview answers and is shown by the
// same code (grid.js: tables and the map); "Apply" (POST /grid/generate/apply with the same options and the
// preview's id) runs the same kind of job, followed to its end.
import { api, escapeHtml } from "../common/api.js";
import { applyI18n, t } from "../i18n/index.js";
import { apply, clearResult, showPreview } from "./grid.js";
import { refusal } from "./users.js";

const WORDS = { title: "admin.gridgen.result", summary: "admin.gridgen.summary", apply: "admin.gridgen.apply" };

/** The card's markup (its area picker is filled once the grid is loaded: ``wireGenerate``). */
export function generateCard() {
  return `<section class="card" aria-labelledby="grid-gen-title">
    <h3 id="grid-gen-title" data-i18n="admin.gridgen.title"></h3>
    <p class="hint" id="grid-gen-hint" data-i18n="admin.gridgen.hint"></p>
    <form id="grid-gen-form" class="row-form grid-gen-form" novalidate>
      <label class="grid-gen-area"><span data-i18n="admin.gridgen.area"></span>
        <select name="area_code" required aria-describedby="grid-gen-hint"></select></label>
      <label><span data-i18n="admin.gridgen.shape"></span><select name="shape">
        <option value="square" data-i18n="admin.gridgen.shape.square"></option>
        <option value="hex" data-i18n="admin.gridgen.shape.hex"></option></select></label>
      <label><span data-i18n="admin.gridgen.cell_area"></span><input name="cell_area_m2" type="number" inputmode="numeric"
        min="1000" max="1000000" step="100" value="10000" required></label>
      <label><span data-i18n="admin.gridgen.sliver"></span><input name="sliver" type="number" inputmode="numeric"
        min="0" max="90" step="1" value="20" required aria-describedby="grid-gen-sliver-hint"></label>
      <button type="submit" class="primary" data-i18n="admin.gridgen.preview"></button>
      <p class="hint sr-only" id="grid-gen-sliver-hint" data-i18n="admin.gridgen.sliver_hint"></p>
    </form>
    <p class="error" role="alert" id="grid-gen-error"></p>
    <p class="hint" role="status" id="grid-gen-status"></p>
  </section>`;
}

/** Fill the area picker from the grid's levels (again after a job: the cell counts change) and, the first
 * time, wire the form. */
export function wireGenerate(main, levels) {
  const form = main.querySelector("#grid-gen-form");
  if (!form) return;
  const select = form.area_code;
  const chosen = select.value;
  const cellsUnder = (code) => levels.cell.filter((f) => f.properties.code.startsWith(code)).length;
  const byCode = (a, b) => a.properties.code.localeCompare(b.properties.code);
  const group = (level, text) => {
    const options = [...levels[level]].sort(byCode).map(({ properties: p }) => `<option value="${escapeHtml(p.code)}">${
      escapeHtml(`${p.name} · ${p.code} · ${t("admin.grid.cells_n", { n: cellsUnder(p.code) })}`)}</option>`);
    return options.length ? `<optgroup label="${escapeHtml(text)}">${options.join("")}</optgroup>` : "";
  };
  select.innerHTML = group("community", t("admin.grid.level.community")) + group("street", t("admin.grid.level.street"));
  if (chosen && [...select.options].some((o) => o.value === chosen)) select.value = chosen;
  form.querySelector("button[type=submit]").disabled = !select.options.length;
  if (form.dataset.wired) return;
  form.dataset.wired = "true";
  applyI18n(form.closest("section"));
  // a community or street clicked in the tree is the one to generate over
  main.querySelector("#grid-tree")?.addEventListener("click", (ev) => {
    const code = ev.target.closest("[data-area]")?.dataset.area;
    if (code && [...select.options].some((o) => o.value === code)) select.value = code;
  });
  const error = main.querySelector("#grid-gen-error");
  const status = main.querySelector("#grid-gen-status");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    const bad = [...form.elements].find((el) => el.willValidate && !el.checkValidity());
    if (bad) {
      error.textContent = t("admin.gridgen.bad_value", { field: bad.closest("label")?.querySelector("span")?.textContent || bad.name });
      bad.focus();
      return;
    }
    const options = { area_code: select.value, shape: form.shape.value, cell_area_m2: Number(form.cell_area_m2.value),
      sliver_ratio: Number(form.sliver.value) / 100 };
    status.textContent = t("admin.gridgen.previewing");
    clearResult(main);
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const preview = await api("/grid/generate/preview", { json: options });
      status.textContent = "";
      showPreview(main, preview, () => apply(main, () => api("/grid/generate/apply",
        { json: { ...options, preview_id: preview.preview_id } })), WORDS);
    } catch (err) {
      status.textContent = "";
      error.textContent = refusal(err);
    } finally {
      submit.disabled = false;
    }
  });
}
