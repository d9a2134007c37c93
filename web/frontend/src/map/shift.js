// The shift's own overview: what each dispatcher and shift lead did today (GET /stats/shift), in a dialog.
import { api, escapeHtml, when } from "../common/api.js";
import { actionLabel, t } from "../i18n/index.js";

export async function showShift(dialog) {
  dialog.innerHTML = `<p class="muted">${escapeHtml(t("map.loading"))}</p>`;
  if (!dialog.open) dialog.showModal();
  let day;
  try {
    day = await api("/stats/shift");
  } catch (err) {
    dialog.innerHTML = `<p>${escapeHtml(err.message)}</p><form method="dialog"><button>${escapeHtml(t("map.panel.close"))}</button></form>`;
    return;
  }
  const rows = day.people.map((p) => `<tr data-user="${escapeHtml(p.username)}">
      <th scope="row">${escapeHtml(p.display_name)}<br><span class="muted">${escapeHtml(t(`role.${p.role}`))}</span></th>
      <td class="num">${p.total}</td>
      <td>${Object.entries(p.acts).sort((a, b) => b[1] - a[1]).map(([a, n]) => `${escapeHtml(actionLabel(a))} ${n}`).join(t("list.sep"))}</td>
      <td class="num">${p.first_at ? escapeHtml(when(p.first_at)) : ""} – ${p.last_at ? escapeHtml(when(p.last_at)) : ""}</td></tr>`).join("");
  dialog.innerHTML = `
    <h2>${escapeHtml(t("map.shift.title", { day: day.day }))}</h2>
    ${rows ? `<table class="shift-table"><thead><tr><th>${escapeHtml(t("map.shift.who"))}</th><th>${escapeHtml(t("map.shift.total"))}</th>
      <th>${escapeHtml(t("map.shift.acts"))}</th><th>${escapeHtml(t("map.shift.span"))}</th></tr></thead><tbody>${rows}</tbody></table>`
      : `<p class="muted">${escapeHtml(t("map.shift.none"))}</p>`}
    <form method="dialog"><button class="primary">${escapeHtml(t("map.panel.close"))}</button></form>`;
}
