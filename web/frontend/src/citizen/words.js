// The public page's words: its own (i18n/citizen.js) and the lifecycle's public status labels
// (i18n/lifecycle.json), in the public pages' small table (common/words.js).
import citizen from "../i18n/citizen.js";
import lifecycle from "../i18n/lifecycle.json";
import { lang, words } from "../common/words.js";

export { escapeHtml, lang, setLang } from "../common/words.js";
export const { t, has, applyI18n } = words(lifecycle, citizen);

/** A case's status as the public sees it: its public label; a status the table does not know yet is shown
 * with its staff label, else as it is. */
export function publicStatus(status) {
  for (const key of [`status_public.${status}`, `status.${status}`]) if (has(key)) return t(key);
  return status || "";
}

/** A moment in Shanghai time, in the page's language ("2026/11/29 20:15"). */
export function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(lang(), { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

/** A name in the page's language: the English one when the page is in English and there is one. */
export function named(zh, en) {
  return lang() === "en" && en ? en : zh || en || "";
}
