// The public page (/c/): a citizen reports a problem without an account, then follows it by a private link
// (/c/t/<token>) and rates the result. Small on purpose: the first load stays under 300 KB compressed on a
// slow 3G phone, so the map (MapLibre) is loaded only when the citizen asks for it.
import "./citizen.css";
import { ReportPage } from "./report.js";
import { TrackPage } from "./track.js";
import { applyI18n, lang, setLang, t } from "./words.js";

function shell(titleKey) {
  document.querySelector("#app").innerHTML = `
    <header class="c-top">
      <h1 class="title" data-i18n="${titleKey}"></h1>
      <button type="button" id="lang" class="lang-switch" lang="${lang() === "zh-CN" ? "en" : "zh-CN"}"></button>
    </header>
    <main id="main" class="c-main"><p class="muted pad">${t("c.loading")}</p></main>`;
  applyI18n();
  document.title = `${t(titleKey)} · gridops`;
}

/** The token of a tracking link (/c/t/<token>) as it was opened: its first run of the characters a token is
 * made of (never percent-encoded), so that a "。", ")" or space pasted along from a message, or a trailing
 * slash, is dropped; null when no well-formed token is left (a cut-off link, another address under /c/). */
function tokenOf(path) {
  const found = /^\/c\/t\/([A-Za-z0-9_-]*)/.exec(path);
  return found && /^[A-Za-z0-9_-]{8,64}$/.test(found[1]) ? found[1] : null;
}

async function main() {
  const tracking = location.pathname !== "/c/";  // anything else under /c/ is (or was) a tracking link
  const token = tracking ? tokenOf(location.pathname) : null;
  if (token && location.pathname !== `/c/t/${token}`) {  // the address as it should have been, to keep or share
    history.replaceState(null, "", `/c/t/${token}${location.search}`);
  }
  const titleKey = tracking ? "c.track.title" : "c.title";
  shell(titleKey);
  const root = document.querySelector("#main");
  const view = tracking ? new TrackPage(root, token) : new ReportPage(root);
  const langButton = document.querySelector("#lang");
  langButton.textContent = t("c.lang");
  langButton.addEventListener("click", () => {
    setLang(lang() === "zh-CN" ? "en" : "zh-CN");
    langButton.textContent = t("c.lang");
    langButton.lang = lang() === "zh-CN" ? "en" : "zh-CN";
    applyI18n();
    document.title = `${t(titleKey)} · gridops`;
    if (tracking) view.render(); else view.relabel();
  });
  await view.load();
  document.body.dataset.ready = "1";
}

main();
