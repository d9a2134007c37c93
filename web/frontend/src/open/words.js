// The open-data page's words (i18n/open.js), in the public pages' small table (common/words.js).
import open from "../i18n/open.js";
import { words } from "../common/words.js";

export { escapeHtml, lang, setLang } from "../common/words.js";
export const { t, has, applyI18n } = words(open);
