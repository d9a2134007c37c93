// Users in bulk (POST /users/import): choose a CSV or XLSX, see every row as it would be created with what is
// wrong with the bad ones, then apply; the one-time passwords of the users created are shown this once.
import { api, errorText, escapeHtml } from "../common/api.js";
import { t } from "../i18n/index.js";
import { refusal, roleName } from "./users.js";

export function renderImport(box, onApplied) {
  let file = null;
  box.innerHTML = `<section class="card import" aria-labelledby="import-title">
    <h3 id="import-title" tabindex="-1">${t("admin.import.title")}</h3>
    <p class="hint" id="import-hint">${t("admin.import.hint")}</p>
    <form id="import-form" class="row-form">
      <label>${t("admin.import.file")}<input type="file" name="file" accept=".csv,.xlsx,text/csv" required aria-describedby="import-hint"></label>
      <button type="submit" class="primary">${t("admin.import.preview")}</button>
      <button type="button" data-close>${t("admin.close")}</button>
    </form>
    <p class="error" role="alert" id="import-error"></p>
    <div id="import-result" aria-live="polite"></div>
  </section>`;
  const form = box.querySelector("#import-form");
  const error = box.querySelector("#import-error");
  const result = box.querySelector("#import-result");
  box.querySelector("[data-close]").addEventListener("click", () => { box.innerHTML = ""; });
  const send = async (apply) => {
    error.textContent = "";
    const data = new FormData();
    data.append("file", file, file.name);
    try {
      const answer = await api("/users/import", { form: data, query: { apply: String(apply) } });
      show(answer);
      if (apply) onApplied();
    } catch (err) {
      error.textContent = refusal(err);
    }
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    file = form.file.files[0];
    if (!file) { error.textContent = t("admin.import.choose"); return; }
    send(false);
  });
  const show = (a) => {
    const passwords = a.applied && a.rows.some((r) => r.password);
    result.innerHTML = `<p class="summary" id="import-summary">${escapeHtml(a.applied
      ? t("admin.import.applied", { created: a.created, invalid: a.invalid })
      : t("admin.import.previewed", { valid: a.valid, invalid: a.invalid }))}</p>
      ${passwords ? `<p class="warning" role="alert">${t("admin.import.copy_now")}</p>` : ""}
      <div class="table-wrap"><table class="grid-table import-rows"><thead><tr>
        <th scope="col">${t("admin.import.row")}</th><th scope="col">${t("admin.users.username")}</th>
        <th scope="col">${t("admin.users.display_name")}</th><th scope="col">${t("admin.users.role")}</th>
        <th scope="col">${t("admin.users.cells")}</th><th scope="col">${t(passwords ? "admin.import.password" : "admin.import.check")}</th>
      </tr></thead><tbody>${a.rows.map((r) => `<tr class="${r.errors.length ? "bad" : "good"}" data-row="${r.row}">
        <td class="num">${r.row}</td><td>${escapeHtml(r.username)}</td><td>${escapeHtml(r.display_name)}</td>
        <td>${escapeHtml(roleName(r.role))}</td><td class="num">${r.cell_codes.length || ""}</td>
        <td>${r.errors.length ? `<span class="badge bad">${t("admin.import.bad")}</span> <span class="row-errors">${
          r.problems.map((p) => escapeHtml(errorText(400, { error: p.code, message: p.message, ...p.params }))).join(t("list.sep"))}</span>`
          : (r.password ? `<code class="password">${escapeHtml(r.password)}</code>`
            : `<span class="badge good">${t(r.created ? "admin.import.created" : "admin.import.good")}</span>`)}</td></tr>`).join("")}
      </tbody></table></div>
      ${!a.applied && a.valid ? `<div class="buttons"><button type="button" class="primary" id="import-apply">${
        t("admin.import.apply", { n: a.valid })}</button></div>` : ""}`;
    result.querySelector("#import-apply")?.addEventListener("click", (ev) => { ev.target.disabled = true; send(true); });
  };
}
