import { applyI18n, langSwitch, t } from "./i18n/index.js";

applyI18n();
document.querySelector("#lang").append(langSwitch());
const form = document.querySelector("form");
const error = document.querySelector("#error");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  const body = { username: form.username.value.trim(), password: form.password.value };
  let r;
  try {
    r = await fetch("/api/v1/login", { method: "POST", headers: { "Content-Type": "application/json" },
                                      body: JSON.stringify(body), credentials: "same-origin" });
  } catch {
    error.textContent = t("error.network");
    return;
  }
  if (!r.ok) {
    error.textContent = t("login.failed");
    return;
  }
  const me = await r.json();
  const next = new URLSearchParams(location.search).get("next");
  location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : me.landing;
});
