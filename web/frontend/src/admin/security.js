// The security log (GET /security-events): by user, kind and time, newest first, 50 at a time
// ("older" pages on with before=<the last seq shown>).
import { api, currentUser, escapeHtml } from "../common/api.js";
import { t } from "../i18n/index.js";

const KINDS = ["sign_in", "sign_in_failed", "sign_in_refused", "sign_out", "session_end", "password_change",
  "password_reset", "token_create", "token_revoke", "user_create", "user_change", "user_deactivate", "user_reactivate",
  "user_unlock", "cells_assign", "calendar_change", "sla_policy_change", "routing_rule_change", "category_change",
  "department_change", "webhook_change", "grid_import", "grid_generate", "address_import"];
const PAGE = 50;
const filters = { user: "", kind: "", since: "", until: "" };

/** Open the log filtered to one user (from the user editor). */
export function showLogFor(user) {
  Object.assign(filters, { user, kind: "", since: "", until: "" });
  location.hash = "#security";
}

function kindName(kind) {
  const key = `admin.kind.${kind}`;
  return t(key) === key ? kind : t(key);
}

/** A local day's start in the service's timezone as an ISO instant ("2026-11-01" → "2026-11-01T00:00:00+08:00"). */
function dayStart(day, zone) {
  if (!day) return undefined;
  const probe = new Date(`${day}T12:00:00Z`);
  const name = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" }).formatToParts(probe)
    .find((p) => p.type === "timeZoneName")?.value || "GMT";
  const offset = name === "GMT" ? "+00:00" : name.replace("GMT", "");
  return `${day}T00:00:00${offset}`;
}

function nextDay(day) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function at(iso, zone) {
  return new Date(iso).toLocaleString(document.documentElement.lang || "zh-CN", { timeZone: zone, year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export async function renderSecurity(main) {
  const me = await currentUser();
  const zone = me.timezone || "Asia/Shanghai";
  main.innerHTML = `<div class="section-head"><h2 data-i18n="admin.nav.security"></h2></div>
    <form class="toolbar" id="log-filters">
      <label><span data-i18n="admin.log.user"></span><input name="user" maxlength="64" value="${escapeHtml(filters.user)}"></label>
      <label><span data-i18n="admin.log.kind"></span><select name="kind"><option value="">${escapeHtml(t("admin.all"))}</option>
        ${KINDS.map((k) => `<option value="${k}" ${k === filters.kind ? "selected" : ""}>${escapeHtml(kindName(k))}</option>`).join("")}
      </select></label>
      <label><span data-i18n="admin.log.since"></span><input type="date" name="since" value="${filters.since}"></label>
      <label><span data-i18n="admin.log.until"></span><input type="date" name="until" value="${filters.until}"></label>
      <button type="submit" data-i18n="admin.users.find"></button>
    </form>
    <p class="error" role="alert" id="log-error"></p>
    <div class="table-wrap" id="log"></div>
    <div class="buttons"><button type="button" id="log-more" hidden data-i18n="admin.log.more"></button></div>`;
  const form = main.querySelector("#log-filters");
  const box = main.querySelector("#log");
  const more = main.querySelector("#log-more");
  let rows = [];
  const load = async (before) => {
    main.querySelector("#log-error").textContent = "";
    let page;
    try {
      page = await api("/security-events", { query: { user: filters.user, kind: filters.kind, since: dayStart(filters.since, zone),
        until: filters.until ? dayStart(nextDay(filters.until), zone) : undefined, before, limit: PAGE } });
    } catch (err) {
      main.querySelector("#log-error").textContent = err.message;
      return;
    }
    rows = before ? rows.concat(page) : page;
    more.hidden = page.length < PAGE;
    box.innerHTML = rows.length ? `<table class="grid-table log"><caption class="sr-only">${escapeHtml(t("admin.nav.security"))}</caption>
      <thead><tr><th scope="col">${t("admin.log.at")}</th><th scope="col">${t("admin.log.kind")}</th>
        <th scope="col">${t("admin.log.actor")}</th><th scope="col">${t("admin.log.from")}</th>
        <th scope="col">${t("admin.log.subject")}</th><th scope="col">${t("admin.log.detail")}</th></tr></thead>
      <tbody>${rows.map((e) => `<tr data-seq="${e.seq}" class="${e.kind === "sign_in_failed" || e.kind === "sign_in_refused" ? "bad" : ""}">
        <td class="nowrap">${escapeHtml(at(e.at, zone))}</td><td>${escapeHtml(kindName(e.kind))}</td>
        <td>${escapeHtml(e.actor_name || "—")}</td><td>${escapeHtml(t(`admin.channel.${e.channel}`) === `admin.channel.${e.channel}`
          ? e.channel : t(`admin.channel.${e.channel}`))} <span class="muted">${escapeHtml(e.client)}</span></td>
        <td>${escapeHtml(subjectText(e.subject))}</td><td><pre class="detail">${escapeHtml(detailText(e.detail))}</pre></td></tr>`).join("")}
      </tbody></table>` : `<p class="muted">${t("admin.log.none")}</p>`;
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    Object.assign(filters, { user: form.user.value.trim(), kind: form.kind.value, since: form.since.value, until: form.until.value });
    load();
  });
  form.kind.addEventListener("change", () => form.requestSubmit());
  more.addEventListener("click", () => load(rows[rows.length - 1]?.seq));
  await load();
}

/** "user:li" → "用户 li": what an entry is about, its kind in the page's language. */
export function subjectText(subject) {
  const [kind, ...rest] = String(subject || "").split(":");
  const key = `admin.log.about.${kind}`;
  const label = t(key);
  return rest.length && label !== key ? `${label} ${rest.join(":")}` : String(subject || "");
}

/** An entry's detail, a line per field: a change as "field: before → after", anything else as "field: value". */
export function detailText(detail) {
  if (detail === null || detail === undefined) return "";
  if (typeof detail !== "object") return String(detail);
  const value = (v) => (v === null || v === undefined ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v));
  const { before, after, ...rest } = detail;
  const lines = [];
  if ("before" in detail || "after" in detail) {
    const b = before && typeof before === "object" ? before : {};
    const a = after && typeof after === "object" ? after : {};
    for (const k of new Set([...Object.keys(b), ...Object.keys(a)])) {
      lines.push(`${k}: ${before ? value(b[k]) : "—"} → ${after ? value(a[k]) : "—"}`);
    }
  }
  for (const [k, v] of Object.entries(rest)) lines.push(`${k}: ${value(v)}`);
  return lines.join("\n");
}
