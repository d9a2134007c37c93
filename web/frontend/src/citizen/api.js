// Calls to the public API (/public/v1): no account, no cookie. Errors come back as JSON {error (or code),
// message, ...params}; the page shows them in its own words (i18n/citizen.js "c.error.<code>"), else the
// server's message. A 429 says in Retry-After when to try again (in minutes past a minute and a half).
import { has, t } from "./words.js";

export class PublicError extends Error {
  constructor(status, body, retryAfter = null) {
    const b = body || {};
    super(b.message || `HTTP ${status}`);
    this.status = status;
    this.body = b;
    this.code = b.code || b.error || (status === 404 ? "not_found" : status === 429 ? "rate_limited" : null);
    this.retryAfter = retryAfter;
  }

  /** What went wrong, for a person, in the page's language. */
  text() {
    if (this.status === 0) return t("c.error.network");
    const key = `c.error.${this.code}`;
    if (!this.code || !has(key)) return this.body.message || t("c.error.title");
    const p = { ...this.body };
    p.retry_after_s ??= this.retryAfter ?? 60;
    if (typeof p.limit_bytes === "number") p.limit_mb = (p.limit_bytes / 1e6).toFixed(1);
    p.limit ??= p.max ?? "";
    if (this.code === "rate_limited" && p.retry_after_s > 90) {  // "约 54 分钟", not "3222 秒"
      return t("c.error.rate_limited_minutes", { ...p, minutes: Math.ceil(p.retry_after_s / 60) });
    }
    return t(key, p);
  }
}

/** publicApi("/categories", {query, json, form, method}) → parsed JSON; throws PublicError. */
export async function publicApi(path, { method, query, json, form } = {}) {
  const url = new URL(`/public/v1${path}`, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.append(k, v);
  }
  const init = { method: method || (json || form ? "POST" : "GET"), credentials: "omit", headers: {} };
  if (json) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (form) {
    init.body = form;
  }
  let r;
  try {
    r = await fetch(url, init);
  } catch {
    throw new PublicError(0, null);
  }
  const body = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) {
    const retry = Number.parseInt(r.headers.get("Retry-After") || "", 10);
    throw new PublicError(r.status, body, Number.isFinite(retry) ? retry : null);
  }
  return body;
}

/** The id this browser sends with its reports and supports (one per phone, kept across visits), so that the
 * service can tell a repeat from a new person without an account. */
export function clientId() {
  const KEY = "gridops.citizen.client_id";
  try {
    let id = localStorage.getItem(KEY);
    if (!id) {
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      id = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
      localStorage.setItem(KEY, id);
    }
    return id;
  } catch {
    return "";
  }
}
