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

async function main() {
  const token = /^\/c\/t\/([^/]+)\/?$/.exec(location.pathname)?.[1];
  const titleKey = token ? "c.track.title" : "c.title";
  shell(titleKey);
  const root = document.querySelector("#main");
  const view = token ? new TrackPage(root, decodeURIComponent(token)) : new ReportPage(root);
  const langButton = document.querySelector("#lang");
  langButton.textContent = t("c.lang");
  langButton.addEventListener("click", () => {
    setLang(lang() === "zh-CN" ? "en" : "zh-CN");
    langButton.textContent = t("c.lang");
    langButton.lang = lang() === "zh-CN" ? "en" : "zh-CN";
    applyI18n();
    document.title = `${t(titleKey)} · gridops`;
    if (token) view.render(); else view.relabel();
  });
  await view.load();
  document.body.dataset.ready = "1";
}

main();
