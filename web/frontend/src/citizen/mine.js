// "我的反映": the reports filed (and supported) from this phone, kept in its browser (localStorage), since the
// private tracking link is the only way back to a case. The list on /c/ shows each case's number, when, the
// status last seen on its tracking page (no request of its own), the link, and a button to remove it.
import { escapeHtml, publicStatus, t, when } from "./words.js";

const KEY = "gridops.citizen.mine";
const MAX = 20;

/** [{case_number, url (the tracking link's path; null: a support, which has none), at, status}], newest first. */
export function mine() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(list) ? list.filter((x) => x && typeof x.case_number === "string") : [];
  } catch {
    return [];
  }
}

function save(list) {
  try { localStorage.setItem(KEY, JSON.stringify(list.slice(0, MAX))); } catch { /* storage full or blocked */ }
}

/** Keep (or update) a case: a filed report keeps its link; what is already known is not forgotten. */
export function remember(entry) {
  const list = mine();
  const at = list.findIndex((x) => x.case_number === entry.case_number);
  if (at >= 0) {
    const old = list[at];
    list[at] = { ...old, ...entry, url: entry.url || old.url || null, at: old.at };
    save(list);
  } else {
    save([{ at: new Date().toISOString(), ...entry }, ...list]);
  }
}

export function forget(caseNumber) {
  save(mine().filter((x) => x.case_number !== caseNumber));
}

/** The list's HTML ("" when there is nothing to show). */
export function mineHtml(list = mine()) {
  if (!list.length) return "";
  return `<details class="card mine" id="mine">
    <summary>${t("c.mine.title")} (${list.length})</summary>
    <p class="hint">${t("c.mine.hint")}</p>
    <ul class="mine-list">${list.map((x) => `<li data-case="${escapeHtml(x.case_number)}">
      <div class="mine-text">
        ${x.url ? `<a href="${escapeHtml(x.url)}">${escapeHtml(t("c.track.number", { case: x.case_number }))}</a>`
    : `<b>${escapeHtml(t("c.track.number", { case: x.case_number }))}</b>`}
        <small>${escapeHtml(t(x.url ? "c.mine.filed" : "c.mine.supported", { when: when(x.at) }))}</small>
        ${x.url && x.status ? `<small>${escapeHtml(t("c.mine.status", { status: publicStatus(x.status) }))}</small>` : ""}
      </div>
      <button type="button" data-forget="${escapeHtml(x.case_number)}"
        aria-label="${escapeHtml(t("c.mine.remove_label", { case: x.case_number }))}">${t("c.mine.remove")}</button>
    </li>`).join("")}</ul>
    <p class="muted" id="mine-note" aria-live="polite"></p>
  </details>`;
}
