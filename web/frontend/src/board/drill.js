// The drill-down panel: the cases behind a figure. A score's indicator from the evaluation API (each case
// marked counted or not), or a chart's slice from the case list (GET /tickets with the period's dates).
// Case numbers open the case sheet.
import { api, escapeHtml } from "../common/api.js";
import { lang, statusLabel, t } from "../i18n/index.js";

const LIST_LIMIT = 200;
const $ = (sel) => document.querySelector(sel);
let shown = null; // what the panel shows, redrawn when the language changes
let opener = null; // the element that opened the panel: the focus goes back to it

/** A subject's name in the page's language (departments have an English one; areas and people their own). */
export function subjectName(item) {
  return (lang() === "en" && item.name_en) || item.name || item.subject;
}

export function value(indicator) {
  if (indicator.value === null || indicator.value === undefined) return t("board.none");
  return indicator.kind === "rate" ? `${(indicator.value * 100).toFixed(1)}%`
    : String(Math.round(indicator.value * 100) / 100);
}

function table(items, marked, categoryName) {
  if (!items.length) return `<p class="muted">${escapeHtml(t("board.empty"))}</p>`;
  const rows = items.map((c) => `<tr class="${marked && !c.hit ? "miss" : ""}" data-case="${escapeHtml(c.case_number)}">
    <td><a href="/cases/${c.id}/sheet" target="_blank" rel="noopener">${escapeHtml(c.case_number)}</a></td>
    <td>${escapeHtml(categoryName(c.category_code))}</td>
    <td>${escapeHtml(statusLabel(c.status))}</td>
    ${marked ? `<td>${escapeHtml(t(c.hit ? "board.drill_hit_yes" : "board.drill_hit_no"))}</td>` : ""}</tr>`).join("");
  return `<table class="cases"><thead><tr><th scope="col">${escapeHtml(t("board.col.case"))}</th>
    <th scope="col">${escapeHtml(t("board.col.category"))}</th><th scope="col">${escapeHtml(t("board.col.status"))}</th>
    ${marked ? `<th scope="col">${escapeHtml(t("board.drill_hit"))}</th>` : ""}</tr></thead><tbody>${rows}</tbody></table>`;
}

function render(categoryName) {
  const s = shown;
  if (!s) return;
  const body = $("#drill-body");
  if (s.error) {
    body.innerHTML = `<p class="error">${escapeHtml(s.heading)}</p><p class="error">${escapeHtml(s.error)}</p>`;
    return;
  }
  if (s.kind === "score") {
    const ind = s.item.indicators.find((i) => i.key === s.indicator);
    const chips = s.item.indicators.map((i) => `<button type="button" class="chip" data-indicator="${escapeHtml(i.key)}"
      aria-pressed="${i.key === s.indicator}">${escapeHtml(t(`board.ind.${i.key}`))} ${escapeHtml(value(i))}</button>`).join("");
    const ratio = ind && ind.kind !== "count" && ind.denominator !== null && ind.denominator !== undefined;
    const figure = !ind ? "" : ratio ? t("board.drill_value", { value: value(ind), numerator: ind.numerator, denominator: ind.denominator })
      : value(ind);
    body.innerHTML = `<p class="drill-subject"><b>${escapeHtml(t("board.drill_of", { subject: subjectName(s.item),
      indicator: t(`board.ind.${s.indicator}`) }))}</b> ${escapeHtml(figure)}</p>
      <div class="chips">${chips}</div>
      ${s.data ? `<p class="muted">${escapeHtml(t("board.drill_total", { total: s.data.total }))}</p>${table(s.data.items, true, categoryName)}`
        : `<p class="muted">${escapeHtml(t("board.loading"))}</p>`}`;
    body.querySelectorAll("[data-indicator]").forEach((b) => b.addEventListener("click", () => {
      openScore({ ...s, data: null, indicator: b.dataset.indicator }, categoryName);
    }));
    return;
  }
  body.innerHTML = `<p class="drill-subject"><b>${escapeHtml(s.heading)}</b></p>
    ${s.data ? `<p class="muted">${escapeHtml(t("board.drill_total", { total: s.data.total }))}
      ${s.data.total > s.data.items.length ? escapeHtml(t("board.drill_more", { n: s.data.items.length })) : ""}</p>
      ${table(s.data.items, false, categoryName)}` : `<p class="muted">${escapeHtml(t("board.loading"))}</p>`}`;
}

function show(categoryName) {
  const panel = $("#drill");
  if (panel.hidden) opener = document.activeElement;
  panel.hidden = false;
  panel.dataset.ready = shown?.data || shown?.error ? "1" : "0";
  render(categoryName);
}

/** The cases behind one indicator of a scored object (GET /evaluation/cases). */
export async function openScore(spec, categoryName) {
  shown = { kind: "score", ...spec, data: null };
  show(categoryName);
  const mine = shown;
  try {
    const data = await api("/evaluation/cases", { query: { object: spec.object, subject: spec.item.subject,
      indicator: spec.indicator, period: spec.period } });
    if (shown === mine) shown = { ...mine, data };
  } catch (err) {
    if (shown === mine) shown = { ...mine, error: err.message };
  }
  if (shown.item === spec.item) show(categoryName);
}

/** The cases of the case list's filters (GET /tickets), under a heading. */
export async function openList(heading, query, categoryName) {
  shown = { kind: "list", heading, data: null };
  show(categoryName);
  const mine = shown;
  try {
    const data = await api("/tickets", { query: { ...query, limit: LIST_LIMIT } });
    if (shown === mine) shown = { ...mine, data };
  } catch (err) {
    if (shown === mine) shown = { ...mine, error: err.message };
  }
  if (shown.heading === heading) show(categoryName);
}

export function closeDrill() {
  $("#drill").hidden = true;
  shown = null;
  opener?.focus?.();
}

export function redrawDrill(categoryName) {
  if (shown) render(categoryName);
}
