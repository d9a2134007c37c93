// Calls to /api/v1 with the session cookie, echoing the CSRF token on every change.
import { t } from "../i18n/index.js";

let me = null;
let signedOut = () => { location.href = `/login?next=${encodeURIComponent(location.pathname)}`; };

/** What a request answered 401 (the session ended) does: by default, go to the sign-in page and back. A page
 * that must not lose what is being typed (the phone page, whose reports wait on the phone) says it instead. */
export function onSignedOut(handler) { signedOut = handler; }

export class ApiError extends Error {
  constructor(status, body) {
    super(errorText(status, body));
    this.status = status;
    this.body = body || {};
  }
}

/** A label from the table, or the value itself when the table has none. */
function label(prefix, value) {
  if (value === undefined || value === null || value === "") return value;
  const key = `${prefix}.${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
}

/** An error body's parameters as the pages' words: states, acts, roles and fields by their labels, sizes in
 * MB, distances in km. */
function errorParams(body) {
  const p = { ...body };
  p.status = label("status", body.status);
  p.action = label("action", body.action);
  p.role = label("role", body.role);
  p.field = label("field", body.field);
  if (typeof body.limit_bytes === "number") p.limit_mb = (body.limit_bytes / 1e6).toFixed(1);
  if (typeof body.max_pixels === "number") p.megapixels = Math.round(body.max_pixels / 1e6);
  p.distance_km = typeof body.distance_m === "number" ? (body.distance_m / 1000).toFixed(1) : "?";
  return p;
}

/** What an error says to a person: the table's words for its code ("error." + code) with its parameters,
 * else the server's (English) message. */
export function errorText(status, body) {
  const code = body?.error;
  if (code) {
    const key = `error.${code}`;
    const text = t(key, errorParams(body));
    if (text !== key) return text;
  }
  return body?.message || `HTTP ${status}`;
}

/** A 409 because the case changed since it was loaded (not because the act is illegal in its state). */
export function isStale(err) {
  return err instanceof ApiError && err.status === 409
    && (err.body.error === "version_conflict" || err.body.error === "concurrent_change"
      || (err.body.error === "conflict" && err.body.version !== undefined));
}

/** "王明（网格员）" / "Wang Ming (grid worker)": who did an act, by display name and role, never the user name
 * alone; the system's own acts say only "系统". */
export function actorText(e) {
  const role = label("role", e.role);
  if (e.role === "system") return role;
  return t("actor", { name: e.actor_display_name || e.actor, role });
}

/** The note on a timeline act in the page's language: the system's own notes by their code, people's as written,
 * a rating's level and words, a call-back's outcome. */
export function eventNote(e, deptName = (code) => code) {
  if (e.reason_code === "auto_registered") return t("routing.auto_registered");
  const p = e.payload || {};
  if (e.action === "rate" && p.level) {  // 好差评: the level and the reporter's words
    return [t(`rating.${p.level}`) + (p.channel === "phone" ? t("rating.by_phone") : ""), p.comment].filter(Boolean).join(" · ");
  }
  if (e.action === "call_back") {
    return t(p.declined ? "callback.declined" : p.reached ? "callback.reached" : "callback.not_reached", { tries: p.tries });
  }
  if (e.action === "uphold_appeal" || e.action === "dismiss_appeal") {
    return [t(e.action === "uphold_appeal" ? "appeal.upheld" : "appeal.dismissed"), e.reason].filter(Boolean).join(" · ");
  }
  if (e.reason_code) return routingReason({ reason_code: e.reason_code, reason_params: e.reason_params, reason: e.reason }, deptName);
  return e.reason || "";
}

/** A routing decision's reason ({reason, reason_code, reason_params}) in the page's language; ``deptName``
 * turns a department code into its name. A reason without a known code is shown as the server wrote it. */
export function routingReason(decision, deptName = (code) => code) {
  const p = decision?.reason_params || {};
  const dept = (code) => (code ? deptName(code) || code : "");
  switch (decision?.reason_code) {
    case "rule":
      return t(p.urgency ? "routing.rule_urgency" : "routing.rule", {
        rule_id: p.rule_id, department: dept(p.department_code),
        category: p.category || t("routing.any_category"), area: p.area_code || t("routing.everywhere"),
        urgency: label("urgency", p.urgency),
      });
    case "no_rule":
      return t(p.suggested_department_code ? "routing.no_rule_suggested" : "routing.no_rule",
        { category: p.category_code, cell: p.cell_code, suggested: dept(p.suggested_department_code) });
    case "manual":
      return t(p.as_suggested || !p.suggested_department_code ? "routing.manual" : "routing.manual_other",
        { username: p.username, suggested: dept(p.suggested_department_code) });
    default:
      return decision?.reason || "";
  }
}

/** The signed-in user (with its CSRF token), or a redirect to the sign-in page. */
export async function currentUser() {
  if (me) return me;
  const r = await fetch("/api/v1/me", { credentials: "same-origin" });
  if (r.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    throw new ApiError(401, { message: t("error.session") });
  }
  me = await r.json();
  if (me.must_change_password) {  // signed in, but an administrator wants a new password first
    await fetch("/api/v1/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": me.csrf_token || "" } });
    location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    throw new ApiError(403, { message: t("error.session") });
  }
  return me;
}

/** api("/tickets", {query, json, form, method}) → parsed JSON; throws ApiError with the server's message. */
export async function api(path, { method, query, json, form, headers = {} } = {}) {
  const user = await currentUser();
  const url = new URL(`/api/v1${path}`, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === "") continue;
    for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, item);
  }
  const init = { method: method || (json || form ? "POST" : "GET"), credentials: "same-origin", headers: { ...headers } };
  if (init.method !== "GET") init.headers["X-CSRF-Token"] = user.csrf_token || "";
  if (json) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (form) {
    init.body = form;
  }
  let r;
  try {
    r = await fetch(url, init);
  } catch (err) {
    throw new ApiError(0, { message: t("error.network"), offline: true });
  }
  if (r.status === 401) {
    signedOut();
    throw new ApiError(401, { message: t("error.session") });
  }
  const body = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, body);
  return body;
}

export async function logout() {
  await api("/logout", { method: "POST" }).catch(() => {});
  location.href = "/login";
}

/** "2 小时 05 分" from seconds (sign ignored). */
export function hours(seconds) {
  const s = Math.abs(Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? t("time.hours_minutes", { h, m: String(m).padStart(2, "0") }) : t("time.minutes", { m });
}

/** A time limit's distance in its own basis: under a day in hours and minutes ("2 小时 05 分"); from a day on,
 * natural time in days and hours ("12 天 21 小时"), working time in working days of the calendar and hours
 * ("3 个工作日 2 小时"). ``timer`` is the API's timer or ``sla`` ({basis, day_s}) or a map row ({day_s});
 * without it, hours. */
export function duration(seconds, timer) {
  const s = Math.abs(Math.round(seconds));
  // a map row has day_s only: a day shorter than 24 hours is a working day
  const working = (timer?.basis ?? "working") === "working" && timer?.day_s > 0 && timer.day_s < 86400;
  const day = working ? Math.round(timer.day_s) : 86400;
  if (!timer || s < day) return hours(s);
  const d = Math.floor(s / day);
  const h = Math.floor((s % day) / 3600);
  const key = working ? "time.workdays_hours" : "time.days_hours";
  return t(d === 1 ? `${key}.one` : key, { d, h });
}

/** "剩余 2 小时 05 分", "超时 12 天 21 小时", "超时 3 个工作日 2 小时" (seconds negative when overdue). */
export function remainingText(seconds, timer) {
  const h = duration(seconds, timer);
  return seconds >= 0 ? t("time.remaining", { h }) : t("time.overdue", { h });
}

/** A timer's light and time, said once: "超时 12 天 8 小时" (red: the words say it; not "超时 · 超时 …"),
 * "预警 · 剩余 30 分钟", "正常 · 剩余 2 小时 05 分". */
export function lightText(timer) {
  const time = remainingText(timer.remaining_s, timer);
  return timer.light === "red" ? time : `${t(`light.${timer.light}`)} · ${time}`;
}

/** A moment in the service's timezone (Asia/Shanghai by default), in the page's language. */
export function when(iso) {
  const zone = me?.timezone || "Asia/Shanghai";
  return new Date(iso).toLocaleString(document.documentElement.lang || "zh-CN",
    { timeZone: zone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

/** The sources whose reporter follows the case (the tracking page, the call-back): a citizen, a hotline caller. */
export const PUBLIC_SOURCES = ["citizen", "hotline"];

/** For the field of an act's note the reporter will read (the lifecycle table publishes the act's note — GET
 * /lifecycle public_note: reject, resolve, explain, reopen, approve_void — and the case came from the public):
 * a mark for its label ("将向反映人公开") and a hint under it (id ``hintId``, for aria-describedby); "" if not. */
export function publicNote(isPublic, hintId) {
  if (!isPublic) return { badge: "", hint: "", describedBy: "" };
  return {
    badge: ` <span class="public-note">${escapeHtml(t("note.public"))}</span>`,
    hint: `<p class="public-note-hint" id="${hintId}">${escapeHtml(t("note.public_hint"))}</p>`,
    describedBy: ` aria-describedby="${hintId}"`,
  };
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** A select's option, selected when its value is the current one (text escaped). */
export function option(value, text, current = "") {
  return `<option value="${escapeHtml(value)}" ${value === current ? "selected" : ""}>${escapeHtml(text)}</option>`;
}

/** The public reporter's name and number as the API gives them to this user (masked or in full), or "". */
export function contactText(c) {
  if (!c) return "";
  const tags = [c.masked ? t("contact.masked") : "", c.confidential ? t("contact.confidential") : ""].filter(Boolean);
  return `${[c.name, c.phone].filter(Boolean).join(" ")}${tags.length ? `（${tags.join(t("list.sep"))}）` : ""}`;
}
