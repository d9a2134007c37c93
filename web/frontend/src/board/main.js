// The supervisors' board (/board, 考评看板): a period's counters from GET /api/v1/board, its trend, top minor
// classes and cases per grid cell (ECharts), the league tables of departments and streets with their on-time
// rates from the evaluation scores, a drill-down panel behind every figure, and a print layout that makes the
// page the monthly report (A4).
import "./board.css";
import { api, currentUser, escapeHtml, logout } from "../common/api.js";
import { applyI18n, lang, langSwitch, t } from "../i18n/index.js";
import { decodeAreas } from "../map/data.js";
import { categoryChart, heatChart, onTimeChart, resizeAll, trendChart } from "./charts.js";
import { closeDrill, openList, openScore, redrawDrill, subjectName, value } from "./drill.js";
import { initRect, loadRect, renderRect } from "./rectify.js";

const $ = (sel) => document.querySelector(sel);
const DAY_MS = 86_400_000;
const PRINT_WIDTH = 680; // px: A4's 210 mm less the 15 mm margins, at 96 px to the inch
const TODAY = ["reported", "registered", "closed", "overdue", "open", "overdue_now"];
const TOTALS = ["reported", "registered", "closed", "overdue"];
const AREA = ["cases", "closure_rate", "on_time_close_rate"];
const COLUMNS = {
  department: ["cases", "closure_rate", "on_time_rate"], street: AREA, community: AREA,
  worker: ["valid_report_rate", "missed_rate", "verify_on_time_rate", "check_on_time_rate"],
  shift_lead: ["register_on_time_rate", "accurate_register_rate", "close_on_time_rate"],
  dispatcher: ["dispatches", "dispatch_on_time_rate", "accurate_dispatch_rate"],
  operator: ["intake", "valid_intake_rate", "callback_rate"],
};
const BOXES = { department: "#departments", street: "#streets" }; // the posts' table: #posts, whichever is picked
const state = { board: null, scores: { department: null, street: null, post: null }, post: "worker", categories: new Map(),
  cells: null };

const en = () => lang() === "en";
const categoryName = (code) => {
  const c = state.categories.get(code);
  return c ? `${code} ${en() ? c.name_en : c.name}` : code;
};

// --- the period ------------------------------------------------------------------------------------

function thisMonth() {
  return new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" }).slice(0, 7);
}

/** The picker's period as the API's label: 2026-11, 2026-Q4 or 2026-11-01..2026-11-15. */
function pickedLabel() {
  const kind = $("#kind").value;
  if (kind === "quarter") return `${$("#year").value}-Q${$("#quarter").value}`;
  if (kind === "custom") return `${$("#from").value}..${$("#to").value}`;
  return $("#month").value || thisMonth();
}

function showKind() {
  const kind = $("#kind").value;
  document.querySelectorAll("#picker [data-kind]").forEach((el) => { el.hidden = el.dataset.kind !== kind; });
}

/** The picker set to a period's label (a month by default). */
function setPicker(label) {
  let m = /^(\d{4})-Q([1-4])$/.exec(label);
  if (m) {
    Object.assign($("#kind"), { value: "quarter" });
    $("#year").value = m[1];
    $("#quarter").value = m[2];
  } else if ((m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(label))) {
    $("#kind").value = "custom";
    $("#from").value = m[1];
    $("#to").value = m[2];
  } else {
    $("#kind").value = "month";
    $("#month").value = /^\d{4}-\d{2}$/.test(label) ? label : thisMonth();
  }
  $("#year").value ||= ($("#month").value || thisMonth()).slice(0, 4);
  showKind();
}

// --- rendering -------------------------------------------------------------------------------------

function figures(counts, keys) {
  return keys.map((k) => `<div class="figure" data-figure="${k}"><dt>${escapeHtml(t(`board.c.${k}`))}</dt>
    <dd>${counts[k]}</dd></div>`).join("");
}

function renderLines() {
  const b = state.board;
  if (!b) return;
  const p = b.period;
  $("#period-line").textContent = t("board.period_line", { label: p.label, from: p.from, to: p.to,
    state: t(p.complete ? "board.period_done" : "board.period_open") });
  const scheme = (state.scores.department || state.scores.street)?.scheme;
  $("#scheme-line").textContent = scheme ? t("board.scheme_line", { version: scheme.version, valid_from: scheme.valid_from,
    note: scheme.note ? `· ${scheme.note}` : "" }) : t("board.scheme_missing");
  $("#printed-line").textContent = t("board.printed", { at: new Date().toLocaleString(lang(), { timeZone: "Asia/Shanghai" }) });
}

function dayRange(date) {
  const start = Date.parse(state.board.period.start) + (Date.parse(`${date}T00:00:00Z`) - Date.parse(`${state.board.period.from}T00:00:00Z`));
  return { created_from: new Date(start).toISOString(), created_to: new Date(start + DAY_MS).toISOString() };
}

function periodRange() {
  return { created_from: state.board.period.start, created_to: state.board.period.end };
}

function renderCharts() {
  const b = state.board;
  const sum = (key) => b.trend.reduce((n, d) => n + d[key], 0);
  $("#trend").setAttribute("aria-label", t("board.trend_summary", { from: b.period.from, to: b.period.to,
    reported: sum("reported"), closed: sum("closed"), overdue: sum("overdue") }));
  trendChart(b.trend, (date) => openList(t("board.drill_reported_day", { date }), dayRange(date), categoryName));

  const nameOf = (c) => (en() ? c.name_en : c.name) || c.code;
  $("#categories").setAttribute("aria-label", b.top_categories.length
    ? t("board.categories_summary", { list: b.top_categories.map((c) => `${nameOf(c)} ${c.count}`).join(t("list.sep")) })
    : t("board.empty"));
  categoryChart(b.top_categories, nameOf, (c) => openList(t("board.drill_category", { name: `${c.code} ${nameOf(c)}` }),
    { ...periodRange(), category: c.code }, categoryName));

  if (state.cells) {
    const counts = new Map(b.cells.map((c) => [c.code, c.count]));
    const total = b.cells.reduce((n, c) => n + c.count, 0);
    $("#heat").setAttribute("aria-label", t("board.heat_summary", { total, cells: b.cells.length,
      max: Math.max(0, ...counts.values()) }));
    heatChart(state.cells.features, state.cells.names, counts, (code) => openList(t("board.drill_cell", { code }),
      { ...periodRange(), area: code }, categoryName));
  }
}

function league(object, key = object) {
  const box = $(BOXES[object] || "#posts");
  const scores = state.scores[key];
  if (!scores) {
    box.innerHTML = `<p class="muted">${escapeHtml(t("board.no_scores"))}</p>`;
    return;
  }
  if (!scores.items.length) {
    box.innerHTML = `<p class="muted">${escapeHtml(t("board.empty"))}</p>`;
    return;
  }
  const keys = COLUMNS[object];
  const rows = scores.items.map((item, i) => {
    const cells = keys.map((k) => {
      const ind = item.indicators.find((x) => x.key === k);
      return `<td class="num">${escapeHtml(ind ? value(ind) : t("board.none"))}</td>`;
    }).join("");
    return `<tr data-subject="${escapeHtml(item.subject)}" data-grade="${escapeHtml(item.grade || "")}">
      <td class="num">${i + 1}</td>
      <th scope="row"><button type="button" class="link" data-open="${i}">${escapeHtml(subjectName(item))}</button></th>
      <td class="num">${item.score === null ? t("board.none") : item.score.toFixed(1)}</td>
      <td class="grade grade-${escapeHtml(item.grade || "none")}">${escapeHtml(item.grade || t("board.none"))}</td>${cells}</tr>`;
  }).join("");
  box.innerHTML = `<table class="league-table"><thead><tr><th scope="col">${escapeHtml(t("board.col.rank"))}</th>
    <th scope="col">${escapeHtml(t("board.col.name"))}</th><th scope="col">${escapeHtml(t("board.col.score"))}</th>
    <th scope="col">${escapeHtml(t("board.col.grade"))}</th>
    ${keys.map((k) => `<th scope="col">${escapeHtml(t(`board.ind.${k}`))}</th>`).join("")}</tr></thead><tbody>${rows}</tbody></table>`;
  box.querySelectorAll("[data-open]").forEach((button) => button.addEventListener("click", () => {
    const item = scores.items[Number(button.dataset.open)];
    openScore({ object, item, indicator: item.indicators[0]?.key || "cases", period: state.board.period.label }, categoryName);
  }));
}

function renderScores() {
  league("department");
  league("street");
  league(state.post, "post");
  $("#post-name").textContent = t(`board.post.${state.post}`);
  const items = state.scores.department?.items || [];
  const shown = onTimeChart(items, (item) => openScore({ object: "department", item, indicator: "on_time_rate",
    period: state.board.period.label }, categoryName));
  $("#on-time").setAttribute("aria-label", shown.length ? t("board.on_time_summary", {
    list: shown.map((i) => `${subjectName(i)} ${value(i.indicators.find((x) => x.key === "on_time_rate"))}`).join(t("list.sep")) })
    : t("board.no_scores"));
}

function render() {
  const b = state.board;
  if (!b) return;
  $("#today-title").textContent = t("board.today", { date: b.today.date });
  $("#today").innerHTML = figures(b.today, TODAY);
  $("#totals").innerHTML = figures(b.totals, TOTALS);
  renderLines();
  renderCharts();
  renderScores();
  renderRect();
  redrawDrill(categoryName);
}

// --- loading ---------------------------------------------------------------------------------------

async function scores(object, period) {
  try {
    return await api("/evaluation/scores", { query: { object, period } });
  } catch {
    return null; // the evaluation API is not there (yet) or refused: the tables say so
  }
}

async function load(label) {
  const status = $("#status");
  document.body.dataset.ready = "0";
  status.textContent = t("board.loading");
  status.classList.remove("error");
  try {
    const cells = state.cells ? null : api("/map/cells", { query: { level: "cell" } }).then(decodeAreas).catch(() => null);
    state.board = await api("/board", { query: { period: label } });
    const period = state.board.period.label;
    history.replaceState(null, "", `${location.pathname}?period=${encodeURIComponent(period)}`);
    const [department, street, post, decoded] = await Promise.all([scores("department", period),
      scores("street", period), scores(state.post, period), cells]);
    state.scores = { department, street, post };
    if (decoded) state.cells = decoded;
    status.textContent = "";
    render();
  } catch (err) {
    status.textContent = t("board.error", { message: err.message });
    status.classList.add("error");
  } finally {
    document.body.dataset.ready = "1";
  }
}

// --- printing: the charts drawn at the printed width, then back -------------------------------------

function forPrint(printing) {
  document.body.classList.toggle("printing", printing);
  if (printing) renderLines();
  resizeAll(printing ? PRINT_WIDTH : undefined);
}

async function main() {
  const me = await currentUser();
  applyI18n();
  $("#who").textContent = me.display_name || me.username;
  $("#lang").append(langSwitch(() => { document.title = `${t("board.title")} · gridops`; render(); }));
  $("#logout").addEventListener("click", logout);
  document.title = `${t("board.title")} · gridops`;
  if (!["supervisor", "admin"].includes(me.role)) {
    $("#status").textContent = t("board.for_whom");
    $("#status").classList.add("error");
    document.body.dataset.ready = "1";
    return;
  }
  const [cats] = await Promise.all([api("/categories").catch(() => [])]);
  for (const c of cats) state.categories.set(c.code, c);
  setPicker(new URLSearchParams(location.search).get("period") || thisMonth());
  $("#kind").addEventListener("change", showKind);
  $("#picker").addEventListener("submit", (e) => { e.preventDefault(); load(pickedLabel()); });
  $("#print").addEventListener("click", () => window.print());
  $("#post").addEventListener("change", async (e) => {  // another post's (or the communities') league table
    state.post = e.target.value;
    state.scores.post = state.board ? await scores(state.post, state.board.period.label) : null;
    renderScores();
  });
  $("#drill-close").addEventListener("click", closeDrill);
  initRect(() => state.board?.period.label || pickedLabel());
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("#drill").hidden) closeDrill(); });
  window.addEventListener("resize", () => resizeAll());
  window.addEventListener("beforeprint", () => forPrint(true));
  window.addEventListener("afterprint", () => forPrint(false));
  window.matchMedia("print").addEventListener("change", (e) => forPrint(e.matches));
  await Promise.all([load(pickedLabel()), loadRect()]);
}

main();
