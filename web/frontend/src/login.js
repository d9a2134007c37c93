import { applyI18n, langSwitch, t } from "./i18n/index.js";

applyI18n();
document.querySelector("#lang").append(langSwitch());
const form = document.querySelector("form");
const change = document.querySelector("#change");
const error = document.querySelector("#error");
const changeError = document.querySelector("#change-error");
let signedIn = null; // the sign-in answer while the user must still choose a new password
let typed = "";

function waitText(seconds) {
  return seconds < 120 ? t("wait.seconds", { n: seconds }) : t("wait.minutes", { n: Math.ceil(seconds / 60) });
}

/** After signing in: back to ?next= when it is a page of this site (/m/ after an expired session), else the
 * user's landing page. Resolved as the browser would, so "//host" and "/\host" (another site) are refused. */
function go(me) {
  const next = new URLSearchParams(location.search).get("next") || "";
  let target = null;
  try {
    const url = new URL(next, location.origin);
    if (next.startsWith("/") && url.origin === location.origin) target = url.pathname + url.search + url.hash;
  } catch { /* not a URL: the landing page */ }
  location.href = target || me.landing;
}

function post(path, body, csrf) {
  const headers = { "Content-Type": "application/json" };
  if (csrf) headers["X-CSRF-Token"] = csrf;
  return fetch(path, { method: "POST", headers, body: JSON.stringify(body), credentials: "same-origin" });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  const body = { username: form.username.value.trim(), password: form.password.value };
  let r;
  try {
    r = await post("/api/v1/login", body);
  } catch {
    error.textContent = t("error.network");
    return;
  }
  if (r.status === 429) {
    error.textContent = t("login.locked", { wait: waitText(Number(r.headers.get("Retry-After")) || 60) });
    return;
  }
  if (!r.ok) {
    error.textContent = t("login.failed");
    return;
  }
  const me = await r.json();
  if (!me.must_change_password) return go(me);
  signedIn = me;
  typed = body.password;
  form.hidden = true;
  change.hidden = false;
  change.new_password.focus();
});

change.addEventListener("submit", async (event) => {
  event.preventDefault();
  changeError.textContent = "";
  if (change.new_password.value !== change.confirm_password.value) {
    changeError.textContent = t("login.mismatch");
    return;
  }
  let r;
  try {
    r = await post("/api/v1/me/password", { current_password: typed, new_password: change.new_password.value },
                   signedIn.csrf_token);
  } catch {
    changeError.textContent = t("error.network");
    return;
  }
  if (!r.ok) {
    const body = await r.json().catch(() => ({}));
    changeError.textContent = body.rule ? t(`password.${body.rule}`, body) : body.message || `HTTP ${r.status}`;
    return;
  }
  go(await r.json());
});
