// The offline queue. A report is written to IndexedDB (photos as Blobs) with its idempotency key before
// it is sent, and leaves only after the server has answered 200/201 (filed, or filed before under the
// same key) or a 4xx (it would never succeed: kept as a failed item the worker can edit or delete).
// Resending with the same key is safe: the server answers the earlier case instead of filing it twice.
import { createStore, del, entries, get, set } from "idb-keyval";
import { errorText } from "../common/api.js";

const store = createStore("gridops-mobile", "outbox");

/** The sign-in page, coming back here: an expired session keeps the queue on the phone until then. */
export const SIGN_IN = `/login?next=${encodeURIComponent("/m/")}`;

/** A v4 UUID, also on a plain-HTTP intranet address where crypto.randomUUID is missing. */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The user's queued reports, oldest first (another user's items on a shared phone are left alone). A draft
 * (below) has no ``username`` and is never one of them. */
export async function queued(username) {
  const all = (await entries(store)).map(([, item]) => item);
  return all.filter((i) => i.username === username).sort((a, b) => a.created_at.localeCompare(b.created_at));
}

export const save = (item) => set(item.key, item, store);
export const remove = (key) => del(key, store);

// The report being written (draft.js) lives in the same store under "draft:<username>", photos as Blobs like a
// queued report's: one per user, so that another worker signed in on the same phone never sees it.
const draftKey = (username) => `draft:${username}`;
export const loadDraft = (username) => get(draftKey(username), store);
export const saveDraft = (username, draft) => set(draftKey(username), { ...draft, draft_of: username }, store);
export const clearDraft = (username) => del(draftKey(username), store);

async function freshCsrf() {
  try {
    const r = await fetch("/api/v1/me", { credentials: "same-origin", cache: "no-store" });
    if (r.status === 401) return { signedOut: true };
    return r.ok ? { token: (await r.json()).csrf_token } : {};
  } catch {
    return { offline: true };
  }
}

/** POST one report: {ok, body} | {retry, offline?, signedOut?} | {failed, status, message, detail}. The photos go
 * under the worker's own file names, so that a refusal names the file they picked; ``message`` is the
 * refusal in the page's language (by its code, see ``refusalText``), ``detail`` the server's body. */
export async function send(item, csrf) {
  const form = new FormData();
  for (const [k, v] of Object.entries(item.fields)) form.append(k, v);
  item.photos.forEach((blob, i) => form.append("photos", blob, item.names?.[i] || `photo-${i + 1}.jpg`));
  let r;
  try {
    r = await fetch("/api/v1/reports", {
      method: "POST", body: form, credentials: "same-origin",
      headers: { "Idempotency-Key": item.key, "X-CSRF-Token": csrf || "" },
    });
  } catch {
    return { retry: true, offline: true };
  }
  const body = await r.json().catch(() => null);
  if (r.ok) return { ok: true, body };
  const csrfRefused = r.status === 403 && body?.error === "http_error";  // a stale session token: sign in again
  if (r.status === 401 || csrfRefused || r.status === 408 || r.status === 429 || r.status >= 500) {
    return { retry: true, status: r.status, signedOut: r.status === 401 || csrfRefused };
  }
  return { failed: true, status: r.status, message: errorText(r.status, body), detail: body || {} };
}

/** Why the server refused a report, in the page's language: the words for its code with its parameters. */
export function refusalText(item) {
  return item.detail?.error ? errorText(item.status, item.detail) : item.error || "";
}

let running = null;

/** Send every waiting report once, oldest first; one pass at a time (also across tabs, where the
 * browser has Web Locks). Calls onSent(item, body) and onFailed(item) as it goes; returns a summary. */
export function flush(username, { onSent, onFailed } = {}) {
  if (running) return running;
  const pass = async () => {
    const waiting = (await queued(username)).filter((i) => !i.failed);
    if (!waiting.length) return { sent: 0, left: 0 };
    if (navigator.onLine === false) return { sent: 0, left: waiting.length, offline: true };
    const auth = await freshCsrf();
    if (auth.offline) return { sent: 0, left: waiting.length, offline: true };
    if (auth.signedOut) return { sent: 0, left: waiting.length, signedOut: true };
    let sent = 0;
    for (const item of waiting) {
      const result = await send(item, auth.token);
      if (result.ok) {
        await remove(item.key);
        sent += 1;
        onSent?.(item, result.body);
      } else if (result.failed) {
        await save({ ...item, failed: true, error: result.message, status: result.status, detail: result.detail });
        onFailed?.(item);
      } else {
        await save({ ...item, tries: (item.tries || 0) + 1 });
        return { sent, left: waiting.length - sent, offline: result.offline, signedOut: result.signedOut };
      }
    }
    return { sent, left: 0 };
  };
  const locked = navigator.locks
    ? navigator.locks.request("gridops-outbox", { ifAvailable: true }, (lock) => (lock ? pass() : { busy: true }))
    : pass();
  running = Promise.resolve(locked).finally(() => { running = null; });
  return running;
}
