// The public page's own small translation table: its words (i18n/citizen.js) and the lifecycle's public
// status labels (i18n/lifecycle.json). The shared table (i18n/index.js) merges every staff page's words,
// which a citizen on slow 3G should not download; the language choice is the same ("gridops.lang").
import lifecycle from "../i18n/lifecycle.json";
import citizen from "../i18n/citizen.js";

const LANGS = ["zh-CN", "en"];
const TABLE = {};
for (const part of [lifecycle, citizen]) {
  for (const l of LANGS) TABLE[l] = { ...(TABLE[l] || {}), ...(part[l] || {}) };
}

export function lang() {
  let saved = null;
  try { saved = localStorage.getItem("gridops.lang"); } catch { /* storage blocked: zh-CN */ }
  return LANGS.includes(saved) ? saved : "zh-CN";
}

export function setLang(value) {
  try { localStorage.setItem("gridops.lang", value); } catch { /* storage blocked: this page only */ }
  document.documentElement.lang = value;
}

/** t("key", {n: 3}) → the current language's text with {n} filled in; the key itself if missing. */
export function t(key, vars = {}) {
  const text = TABLE[lang()][key] ?? TABLE["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? `{${name}}`));
}

/** Whether the table has the key (in either language). */
export function has(key) {
  return key in TABLE[lang()] || key in TABLE["zh-CN"];
}

/** A case's status as the public sees it: its public label; a status the table does not know yet is shown
 * with its staff label, else as it is. */
export function publicStatus(status) {
  for (const key of [`status_public.${status}`, `status.${status}`]) if (has(key)) return t(key);
  return status || "";
}

/** Fill every [data-i18n] (and [data-i18n-placeholder], [data-i18n-aria-label]) element under root. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang();
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  root.querySelectorAll("[data-i18n-aria-label]").forEach((el) => { el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel)); });
}

/** A moment in Shanghai time, in the page's language ("2026/11/29 20:15"). */
export function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(lang(), { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** A name in the page's language: the English one when the page is in English and there is one. */
export function named(zh, en) {
  return lang() === "en" && en ? en : zh || en || "";
}
