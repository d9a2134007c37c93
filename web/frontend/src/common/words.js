// A small translation table for the public pages (/c/, /open): the staff pages' shared table (i18n/index.js)
// merges every page's words, too much for a citizen on slow 3G. The language choice is the one every page
// keeps ("gridops.lang").
export const LANGS = ["zh-CN", "en"];

export function lang() {
  let saved = null;
  try { saved = localStorage.getItem("gridops.lang"); } catch { /* storage blocked: zh-CN */ }
  return LANGS.includes(saved) ? saved : "zh-CN";
}

export function setLang(value) {
  try { localStorage.setItem("gridops.lang", value); } catch { /* storage blocked: this visit only */ }
  document.documentElement.lang = value;
}

/** A distance for a sentence: metres up to 1000 ({m: 950}), then kilometres ({km: "1.2"} under 10 km, {km: "1065"}
 * beyond), so that a phone located in another city does not read "1064564 米". */
export function distance(metres) {
  const m = metres || 0;
  if (m <= 1000) return { m: Math.round(m) };
  return { km: m < 10000 ? String(Math.round(m / 100) / 10) : String(Math.round(m / 1000)) };
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** The words of the given tables ({"zh-CN": {...}, en: {...}}, later ones winning): t, has and applyI18n. */
export function words(...parts) {
  const table = {};
  for (const part of parts) {
    for (const l of LANGS) table[l] = { ...(table[l] || {}), ...(part[l] || {}) };
  }
  /** t("key", {n: 3}) → the current language's text with {n} filled in; the key itself if missing. */
  const t = (key, vars = {}) => (table[lang()][key] ?? table["zh-CN"][key] ?? key)
    .replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? `{${name}}`));
  /** Whether the table has the key (in either language). */
  const has = (key) => key in table[lang()] || key in table["zh-CN"];
  /** Fill every [data-i18n] (and [data-i18n-placeholder], [data-i18n-aria-label]) element under root. */
  const applyI18n = (root = document) => {
    document.documentElement.lang = lang();
    root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
    root.querySelectorAll("[data-i18n-aria-label]").forEach((el) => { el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel)); });
  };
  return { t, has, applyI18n };
}
