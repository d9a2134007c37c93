// The open-data page (/open): the period's figures from /open/v1/stats as numbers and plain CSS bars, a period
// and kind picker (kept in the address, so a view can be shared), download links for the same filters
// (/open/v1/cases.csv and .geojson) and what is published and what is not. No account, no chart library.
import "./open.css";
import { applyI18n, escapeHtml, lang, setLang, t } from "./words.js";

const DAY_MS = 86_400_000;
const $ = (sel) => document.querySelector(sel);
let last = null; // the latest statistics, redrawn when the language changes

/** Today in Shanghai as YYYY-MM-DD (the service's local dates). */
function today() {
  return new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
}

function minusDays(iso, n) {
  return new Date(Date.parse(`${iso}T00:00:00Z`) - n * DAY_MS).toISOString().slice(0, 10);
}

function filters() {
  const out = new URLSearchParams();
  for (const [name, el] of [["from", $("#from")], ["to", $("#to")], ["category", $("#kind")]]) {
    if (el.value) out.set(name, el.value);
  }
  return out;
}

function percent(rate) {
  return rate === null || rate === undefined ? t("o.none") : `${(rate * 100).toFixed(1)}%`;
}

function figure(key, value, note = "") {
  return `<div class="figure"><dt data-i18n="${key}">${t(key)}</dt><dd>${value}${note ? `<small>${note}</small>` : ""}</dd></div>`;
}

function bars(items, nameOf) {
  if (!items.length) return `<p class="muted">${t("o.empty")}</p>`;
  const most = Math.max(...items.map((i) => i.reported));
  return `<ul class="bars">${items.map((i) => {
    const name = nameOf(i);
    return `<li class="bar">
      <span class="bar-name">${escapeHtml(name)}</span>
      <span class="bar-n">${i.reported}<small> · ${percent(i.closure_rate)}</small></span>
      <span class="bar-track" role="img" aria-label="${escapeHtml(t("o.bar", { name, reported: i.reported, closed: i.closed }))}">
        <span class="bar-all" style="width:${(100 * i.reported) / most}%"><span class="bar-done" style="width:${i.reported ? (100 * i.closed) / i.reported : 0}%"></span></span>
      </span></li>`;
  }).join("")}</ul>`;
}

function days(stats) {
  if (!stats.days.length) return `<p class="muted">${t("o.empty")}</p>`;
  const top = stats.days.reduce((a, b) => (b.reported > a.reported ? b : a));
  const summary = t("o.day_summary", { from: stats.from, to: stats.to, days: stats.days.length, max: top.reported, date: top.date });
  const byDate = new Map(stats.days.map((d) => [d.date, d]));
  const columns = [];
  for (let d = stats.from; d <= stats.to; d = minusDays(d, -1)) {
    const day = byDate.get(d);
    const h = day ? (100 * day.reported) / top.reported : 0;
    columns.push(`<span class="col" title="${d}: ${day ? day.reported : 0}" style="height:${h}%"></span>`);
  }
  return `<p>${escapeHtml(summary)}</p><div class="cols" aria-hidden="true">${columns.join("")}</div>
    <div class="cols-axis" aria-hidden="true"><span>${stats.from}</span><span>${stats.to}</span></div>`;
}

function render() {
  const s = last;
  if (!s) return;
  const en = lang() === "en";
  $("#figures").innerHTML = figure("o.reported", t("o.cases", { n: s.reported }))
    + figure("o.closed", t("o.cases", { n: s.closed }))
    + figure("o.closure_rate", percent(s.closure_rate))
    + figure("o.on_time_rate", percent(s.on_time_rate), t("o.on_time_of", { on_time: s.on_time, handled: s.handled }));
  $("#categories").innerHTML = bars(s.categories, (c) => `${(en ? c.name_en : c.name) || c.code}`);
  $("#streets").innerHTML = bars(s.streets, (st) => st.name || st.code);
  $("#days").innerHTML = days(s);
  $("#which").textContent = t("o.privacy.which", { days: s.min_age_days });
}

function links() {
  const q = filters().toString();
  $("#csv").href = `/open/v1/cases.csv${q ? `?${q}` : ""}`;
  $("#geojson").href = `/open/v1/cases.geojson${q ? `?${q}` : ""}`;
}

async function load() {
  const q = filters();
  history.replaceState(null, "", `${location.pathname}?${q}`);
  links();
  const status = $("#status");
  status.textContent = t("o.loading");
  let r;
  try {
    r = await fetch(`/open/v1/stats?${q}`, { credentials: "omit" });
  } catch {
    r = null;
  }
  const body = r ? await r.json().catch(() => null) : null;
  if (!r || !r.ok) {
    const wait = r && Number.parseInt(r.headers.get("Retry-After") || "", 10);
    status.textContent = r && r.status === 429 ? t("o.error.rate_limited", { s: wait || 60 })
      : t("o.error", { message: body?.message || (r ? `HTTP ${r.status}` : "network") });
    status.classList.add("error");
    return;
  }
  status.textContent = "";
  status.classList.remove("error");
  last = body;
  render();
}

function setPeriod(n) {
  $("#to").value = today();
  $("#from").value = minusDays(today(), n - 1);
  load();
}

function main() {
  const here = new URLSearchParams(location.search);
  $("#to").value = here.get("to") || today();
  $("#from").value = here.get("from") || minusDays($("#to").value, 29);
  $("#kind").value = ["C", "E"].includes(here.get("category")) ? here.get("category") : "";
  applyI18n();
  document.querySelectorAll("[data-days]").forEach((b) => {
    b.textContent = t("o.last", { n: b.dataset.days });
    b.addEventListener("click", () => setPeriod(Number(b.dataset.days)));
  });
  $("#filters").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  $("#kind").addEventListener("change", () => load());
  const button = $("#lang");
  const relabel = () => {
    button.textContent = t("o.lang");
    button.lang = lang() === "zh-CN" ? "en" : "zh-CN";
    document.title = `${t("o.title")} · gridops`;
    document.querySelectorAll("[data-days]").forEach((b) => { b.textContent = t("o.last", { n: b.dataset.days }); });
  };
  button.addEventListener("click", () => {
    setLang(lang() === "zh-CN" ? "en" : "zh-CN");
    applyI18n();
    relabel();
    render();
  });
  relabel();
  load().finally(() => { document.body.dataset.ready = "1"; });
}

main();
