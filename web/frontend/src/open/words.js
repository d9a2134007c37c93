// The open-data page's own tiny translation table (i18n/open.js): the staff pages' shared table is far bigger
// than this page. The language choice is the one every page keeps ("gridops.lang").
import words from "../i18n/open.js";

const LANGS = ["zh-CN", "en"];

export function lang() {
  let saved = null;
  try { saved = localStorage.getItem("gridops.lang"); } catch { /* storage blocked: zh-CN */ }
  return LANGS.includes(saved) ? saved : "zh-CN";
}

export function setLang(value) {
  try { localStorage.setItem("gridops.lang", value); } catch { /* storage blocked: this visit only */ }
  document.documentElement.lang = value;
}

/** t("key", {n: 3}) → the current language's text with {n} filled in. */
export function t(key, vars = {}) {
  const text = words[lang()][key] ?? words["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? `{${name}}`));
}

export function applyI18n(root = document) {
  document.documentElement.lang = lang();
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
