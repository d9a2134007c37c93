// Working-time calendars and SLA policies. A year view (12 month grids) marks holidays and make-up working days
// (调休); a click on a day cycles ordinary → holiday → working day (补班) → ordinary, each step one
// PUT or DELETE of /calendars/{code}/days/{day}. Arrow keys move between days. Below, the SLA policies per
// stage, category and urgency (GET/PUT /sla-policies).
import { api, escapeHtml } from "../common/api.js";
import { lang, oneLanguage, t } from "../i18n/index.js";

// the timed stages in the order of a case (the last two: a bad rating's review and the rectification after a reopen)
const STAGES = ["verify", "register", "dispatch", "accept", "handle", "check", "close", "review", "rectify"];
const view = { code: null, year: new Date().getFullYear(), focus: null };

const iso = (y, m, d) => `${y}-${String(m + 1).padStart(2, "0")}-${String(d).padStart(2, "0")}`;

export async function renderCalendars(main) {
  const calendars = await api("/calendars");
  view.code ||= (calendars.find((c) => c.code === "standard") || calendars[0])?.code;
  const now = new Date().getFullYear();
  main.innerHTML = `<div class="section-head"><h2 data-i18n="admin.nav.calendars"></h2></div>
    <form class="toolbar" id="cal-pick">
      <label><span data-i18n="admin.cal.calendar"></span><select name="code">${calendars.map((c) =>
        `<option value="${escapeHtml(c.code)}" ${c.code === view.code ? "selected" : ""}>${escapeHtml(oneLanguage(c.name) || c.code)}</option>`).join("")}</select></label>
      <label><span data-i18n="admin.cal.year"></span><select name="year">${[now - 1, now, now + 1, now + 2].map((y) =>
        `<option value="${y}" ${y === view.year ? "selected" : ""}>${y}</option>`).join("")}</select></label>
    </form>
    <p class="hint" id="cal-hint" data-i18n="admin.cal.hint"></p>
    <ul class="legend"><li><span class="swatch holiday"></span><span data-i18n="admin.cal.holiday"></span></li>
      <li><span class="swatch workday"></span><span data-i18n="admin.cal.workday"></span></li>
      <li><span class="swatch off"></span><span data-i18n="admin.cal.off"></span></li></ul>
    <p class="error" role="alert" id="cal-error"></p><p class="ok" role="status" id="cal-status"></p>
    <div class="year" id="year" aria-describedby="cal-hint"></div>
    <h2 data-i18n="admin.sla.title"></h2>
    <div id="policies"></div>`;
  const form = main.querySelector("#cal-pick");
  form.addEventListener("change", () => {
    view.code = form.code.value;
    view.year = Number(form.year.value);
    drawYear(main, calendars.find((c) => c.code === view.code));
  });
  await Promise.all([drawYear(main, calendars.find((c) => c.code === view.code)), drawPolicies(main)]);
}

async function drawYear(main, calendar) {
  const box = main.querySelector("#year");
  if (!calendar) { box.innerHTML = `<p class="muted">${t("admin.cal.none")}</p>`; return; }
  const days = await api(`/calendars/${encodeURIComponent(calendar.code)}/days`, { query: { year: view.year } });
  const marked = new Map(days.map((d) => [d.day, d]));
  const working = new Set(calendar.weekdays.split(",").map(Number)); // ISO weekdays
  const locale = lang();
  const weekday = (i) => new Date(Date.UTC(2024, 0, 1 + i)).toLocaleDateString(locale, { weekday: "narrow", timeZone: "UTC" });
  const today = new Date().toISOString().slice(0, 10);
  const first = view.focus?.startsWith(String(view.year)) ? view.focus : (today.startsWith(String(view.year)) ? today : iso(view.year, 0, 1));
  box.innerHTML = Array.from({ length: 12 }, (_, m) => {
    const monthName = new Date(Date.UTC(view.year, m, 1)).toLocaleDateString(locale, { month: "long", timeZone: "UTC" });
    const lead = (new Date(Date.UTC(view.year, m, 1)).getUTCDay() + 6) % 7; // Monday first
    const count = new Date(Date.UTC(view.year, m + 1, 0)).getUTCDate();
    const cells = [];
    for (let i = 0; i < lead; i++) cells.push("<span></span>");
    for (let d = 1; d <= count; d++) {
      const day = iso(view.year, m, d);
      const isoDay = ((lead + d - 1) % 7) + 1;
      const mark = marked.get(day);
      const kind = mark?.kind || (working.has(isoDay) ? "" : "off");
      const label = [new Date(`${day}T00:00:00Z`).toLocaleDateString(locale, { month: "long", day: "numeric", weekday: "long", timeZone: "UTC" }),
        t(kind ? `admin.cal.${kind}` : "admin.cal.normal"), oneLanguage(mark?.name)].filter(Boolean).join(" · ");
      cells.push(`<button type="button" class="day ${kind}" data-day="${day}" data-kind="${mark?.kind || ""}" data-name="${escapeHtml(mark?.name || "")}"
        tabindex="${day === first ? 0 : -1}" aria-label="${escapeHtml(label)}" title="${escapeHtml(label)}">${d}</button>`);
    }
    return `<section class="month" aria-label="${escapeHtml(monthName)}"><h3>${escapeHtml(monthName)}</h3>
      <div class="week" aria-hidden="true">${Array.from({ length: 7 }, (_, i) => `<span>${escapeHtml(weekday(i))}</span>`).join("")}</div>
      <div class="days">${cells.join("")}</div></section>`;
  }).join("");
  box.querySelectorAll("button.day").forEach((b) => b.addEventListener("click", () => cycle(main, calendar, b)));
  box.onkeydown = (ev) => {
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7, Home: -400, End: 400 }[ev.key];
    if (!step || !ev.target.matches("button.day")) return;
    const all = [...box.querySelectorAll("button.day")];
    const at = all.indexOf(ev.target);
    const next = all[Math.max(0, Math.min(all.length - 1, at + step))];
    ev.preventDefault();
    ev.target.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
    view.focus = next.dataset.day;
  };
}

/** ordinary → holiday → working day → ordinary: one PUT or DELETE, then the year drawn again. */
async function cycle(main, calendar, button) {
  const day = button.dataset.day;
  const kind = button.dataset.kind;
  const path = `/calendars/${encodeURIComponent(calendar.code)}/days/${day}`;
  const name = button.dataset.name || "";
  const error = main.querySelector("#cal-error");
  const status = main.querySelector("#cal-status");
  error.textContent = "";
  button.disabled = true;
  let next = "";
  try {
    if (!kind) { await api(path, { method: "PUT", json: { kind: "holiday", name } }); next = "holiday"; }
    else if (kind === "holiday") { await api(path, { method: "PUT", json: { kind: "workday", name } }); next = "workday"; }
    else await api(path, { method: "DELETE" });
    status.textContent = t("admin.cal.changed", { day, kind: t(next ? `admin.cal.${next}` : "admin.cal.normal") });
  } catch (err) {
    error.textContent = err.message;
  }
  view.focus = day;
  await drawYear(main, calendar);
  main.querySelector(`button.day[data-day="${day}"]`)?.focus();
}

async function drawPolicies(main) {
  const box = main.querySelector("#policies");
  const [answer, categories] = await Promise.all([api("/sla-policies"), api("/categories").catch(() => [])]);
  const catName = (code) => {
    if (!code) return t("admin.sla.any_category");
    const c = categories.find((x) => x.code === code) || categories.find((x) => x.major_code === code);
    if (!c) return code;
    const en = document.documentElement.lang === "en";
    return c.code === code ? `${code} ${en ? c.name_en : c.name}` : `${code} ${en ? c.major_name_en : c.major_name}`;
  };
  const rows = [...answer.policies].sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage));
  const basis = (b) => t(`admin.sla.basis.${b}`);
  box.innerHTML = `<div class="table-wrap"><table class="grid-table policies"><caption class="sr-only">${t("admin.sla.title")}</caption>
    <thead><tr><th scope="col">${t("admin.sla.stage")}</th><th scope="col">${t("admin.sla.category")}</th>
      <th scope="col">${t("admin.sla.urgency")}</th><th scope="col">${t("admin.sla.limit")}</th>
      <th scope="col">${t("admin.sla.basis")}</th><th scope="col">${t("admin.sla.note")}</th></tr></thead>
    <tbody>${rows.map((p) => `<tr><td>${escapeHtml(t(`stage.${p.stage}`))}</td><td>${escapeHtml(catName(p.category))}</td>
      <td>${escapeHtml(p.urgency ? t(`urgency.${p.urgency}`) : t("admin.sla.any_urgency"))}</td>
      <td class="num">${p.limit_hours}</td><td>${escapeHtml(basis(p.basis))}</td><td>${escapeHtml(p.note)}</td></tr>`).join("")
      || `<tr><td colspan="6" class="muted">${t("admin.sla.no_policies")}</td></tr>`}</tbody></table></div>
    <p class="hint">${escapeHtml(t("admin.sla.defaults", { list: [
      ...Object.entries(answer.defaults.stages)
        .map(([s, [h, b]]) => t("admin.sla.default_item", { stage: t(`stage.${s}`), h, basis: basis(b) })),
      ...Object.entries(answer.defaults.working_days || {})
        .map(([s, days]) => t("admin.sla.default_days", { stage: t(`stage.${s}`), days }))].join(lang() === "en" ? "; " : "，") }))}</p>
    <form id="policy-form" class="card row-form">
      <label>${t("admin.sla.stage")}<select name="stage">${STAGES.map((s) => `<option value="${s}">${escapeHtml(t(`stage.${s}`))}</option>`).join("")}</select></label>
      <label>${t("admin.sla.category")}<input name="category" maxlength="8" placeholder="E0101 / E01" list="cat-codes"></label>
      <datalist id="cat-codes">${categories.map((c) => `<option value="${escapeHtml(c.code)}">${escapeHtml(c.name)}</option>`).join("")}</datalist>
      <label>${t("admin.sla.urgency")}<select name="urgency"><option value="">${t("admin.sla.any_urgency")}</option>
        ${["normal", "urgent", "critical"].map((u) => `<option value="${u}">${escapeHtml(t(`urgency.${u}`))}</option>`).join("")}</select></label>
      <label>${t("admin.sla.limit")}<input name="limit_hours" type="number" min="0.01" step="0.01" required></label>
      <label>${t("admin.sla.basis")}<select name="basis"><option value="working">${basis("working")}</option>
        <option value="natural">${basis("natural")}</option></select></label>
      <label>${t("admin.sla.note")}<input name="note" maxlength="200"></label>
      <button type="submit" class="primary">${t("admin.sla.set")}</button>
      <p class="error" role="alert" id="policy-error"></p>
    </form>`;
  box.querySelector("#policy-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    try {
      await api("/sla-policies", { method: "PUT", json: { stage: f.stage.value, category: f.category.value.trim(),
        urgency: f.urgency.value, limit_hours: Number(f.limit_hours.value), basis: f.basis.value, note: f.note.value } });
      await drawPolicies(main);
    } catch (err) {
      box.querySelector("#policy-error").textContent = err.message;
    }
  });
}
