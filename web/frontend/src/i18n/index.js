// The one translation table: every string the pages show goes through t(). zh-CN first, English second.
// Each page keeps its words in its own file; they are merged here into one table. The lifecycle's state
// and act labels come from the table in dispatch/lifecycle.py (lifecycle.json is written by `gridops labels`).
import lifecycle from "./lifecycle.json";
import common from "./common.js";
import mobile from "./mobile.js";
import map from "./map.js";
import desk from "./desk.js";
import sheet from "./sheet.js";
import admin from "./admin.js";
import adminGrid from "./admin_grid.js";
import adminCatalogue from "./admin_catalogue.js";
import adminDepartments from "./admin_departments.js";
import hotline from "./hotline.js";
import board from "./board.js";

export const LANGS = ["zh-CN", "en"];
const TABLE = {};
for (const part of [lifecycle, common, mobile, map, desk, sheet, admin, adminGrid, adminCatalogue, adminDepartments, hotline, board]) {
  for (const lang of LANGS) TABLE[lang] = { ...(TABLE[lang] || {}), ...(part[lang] || {}) };
}

export function lang() {
  const saved = localStorage.getItem("gridops.lang");
  return LANGS.includes(saved) ? saved : "zh-CN";
}

export function setLang(value) {
  localStorage.setItem("gridops.lang", value);
  document.documentElement.lang = value;
}

/** t("key", {n: 3}) → the current language's text with {n} filled in; the key itself if missing. */
export function t(key, vars = {}) {
  const text = TABLE[lang()][key] ?? TABLE["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? `{${name}}`));
}

/** Fill every [data-i18n] element (and [data-i18n-placeholder], [data-i18n-title], [data-i18n-aria-label]) under root. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang();
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  root.querySelectorAll("[data-i18n-title]").forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  root.querySelectorAll("[data-i18n-aria-label]").forEach((el) => { el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel)); });
  relabelMaps(root);
}

// MapLibre's own words: the labels of its canvas, its zoom buttons and markers (English in MapLibre itself)
const MAPLIBRE = { "Map.Title": ".maplibregl-canvas", "NavigationControl.ZoomIn": ".maplibregl-ctrl-zoom-in",
  "NavigationControl.ZoomOut": ".maplibregl-ctrl-zoom-out", "Marker.Title": null, "Popup.Close": ".maplibregl-popup-close-button" };

/** The ``locale`` option of a new MapLibre map: its controls speak the page's language. */
export function mapLocale() {
  return Object.fromEntries(Object.keys(MAPLIBRE).map((key) => [key, t(`maplibre.${key}`)]));
}

/** The maps already drawn, relabelled after a language switch (MapLibre reads its locale once). */
function relabelMaps(root) {
  for (const [key, selector] of Object.entries(MAPLIBRE)) {
    if (!selector) continue;
    root.querySelectorAll(selector).forEach((el) => {
      el.setAttribute("aria-label", t(`maplibre.${key}`));
      if (el.hasAttribute("title")) el.title = t(`maplibre.${key}`);
    });
  }
}

/** A button that switches between 中文 and English and re-renders through the callback. */
export function langSwitch(onChange) {
  const button = document.createElement("button");
  button.className = "lang-switch";
  button.type = "button";
  const label = () => { button.textContent = lang() === "zh-CN" ? "English" : "中文"; };
  label();
  button.addEventListener("click", () => {
    setLang(lang() === "zh-CN" ? "en" : "zh-CN");
    label();
    applyI18n();
    onChange?.();
  });
  return button;
}

/** A name written in both languages, Chinese then English ("国庆节 National Day", as the official holidays and
 * the standard calendar are stored), in the page's language; any other text as it is. */
export function oneLanguage(text) {
  const m = /^(.*[\u3000-\u9fff\uff00-\uffef])\s+([A-Za-z].*)$/.exec(text || "");
  if (!m) return text || "";
  return lang() === "en" ? m[2] : m[1];
}

export function statusLabel(status) { return t(`status.${status}`); }
export function actionLabel(action) { return t(`action.${action}`); }
