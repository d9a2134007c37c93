// Calls to /api/v1 with the session cookie, echoing the CSRF token on every change.
import { t } from "../i18n/index.js";

let me = null;

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

/** A 409 because the case changed since it was loaded (not because the act is illegal in its state). */
export function isStale(err) {
  return err instanceof ApiError && err.status === 409 && err.body.error === "conflict" && err.body.version !== undefined;
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
    location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
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

/** "2 h 05 min" from seconds (sign ignored). */
export function hours(seconds) {
  const s = Math.abs(Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${String(m).padStart(2, "0")} min` : `${m} min`;
}

export function remainingText(seconds) {
  return seconds >= 0 ? t("time.remaining", { h: hours(seconds) }) : t("time.overdue", { h: hours(seconds) });
}

/** A moment in the service's timezone (Asia/Shanghai by default), in the page's language. */
export function when(iso) {
  const zone = me?.timezone || "Asia/Shanghai";
  return new Date(iso).toLocaleString(document.documentElement.lang || "zh-CN",
    { timeZone: zone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
