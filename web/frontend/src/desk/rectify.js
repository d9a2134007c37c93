// The desk's 整改 tab: the department's own open rectification items (a poor grade, an indicator under its
// threshold), each with the next period's figure beside it and the form that closes it with a written account.
// The tab shows only to those the API answers (GET /evaluation/rectifications: 200 for a department).
import { escapeHtml } from "../common/api.js";
import { keepingFocus, listHtml, listItems, pastDue, reasonText, wireForms } from "../common/rectify.js";
import { t } from "../i18n/index.js";

const $ = (sel) => document.querySelector(sel);
const state = { items: [], error: null, note: "" };
let loads = 0;

function showCount() {
  const count = $("#rect-count");
  if (count) count.textContent = state.items.length ? String(state.items.length) : "";
}

/** Unhide the tab when the API lists items for this user (a 403 leaves it hidden); its count of open items. */
export async function offerRectify(tab) {
  try {
    state.items = await listItems("open");
  } catch {
    return;
  }
  tab.hidden = false;
  showCount();
}

/** A click on a row in the list: to its card and into its form. */
function goTo(id) {
  const card = document.querySelector(`#detail [data-rect="${id}"]`);
  if (!card) return;
  card.scrollIntoView({ block: "start" });
  (card.querySelector("textarea") || card).focus();
}

/** The list (rows) and the detail pane (the cards with their forms) drawn from the items last loaded. */
export function drawRectify() {
  const list = $("#list");
  const main = $("#detail");
  showCount();
  if (state.error) {
    list.innerHTML = "";
    main.innerHTML = `<p class="error">${escapeHtml(t("rect.load_error", { message: state.error }))}</p>`;
    return;
  }
  list.innerHTML = state.items.length ? state.items.map((item) => `<div class="item"><button type="button" class="row"
      data-rect-row="${item.id}"><span class="light ${pastDue(item) ? "red" : "yellow"}"></span>
      <span class="text"><span class="case">${escapeHtml(item.subject_name || item.subject)}</span> · ${escapeHtml(item.period)}<br>
        <span class="muted">${escapeHtml(reasonText(item))}</span></span>
      <span class="badge ${pastDue(item) ? "late" : ""}">${escapeHtml(item.due_on)}</span></button></div>`).join("")
    : `<p class="muted" style="padding:16px">${escapeHtml(t("rect.empty"))}</p>`;
  list.querySelectorAll("[data-rect-row]").forEach((row) => row.addEventListener("click", () => goTo(row.dataset.rectRow)));
  keepingFocus(main, () => {  // (the queue's live refresh redraws this tab too)
    main.innerHTML = `<section class="rect-desk" aria-labelledby="rect-title">
      <h2 id="rect-title">${escapeHtml(t("rect.title"))}</h2>
      <p class="hint">${escapeHtml(t("desk.rectify_hint"))}</p>
      <p class="done" role="status">${escapeHtml(state.note ? t(state.note) : "")}</p>
      ${listHtml(state.items)}</section>`;
    wireForms(main, async () => {
      state.note = "rect.closed_ok";
      await loadRectify({ force: true });
    });
  });
}

/** Load the open items and draw them; a reload from a live event waits while a form is being filled in. */
export async function loadRectify({ force = false } = {}) {
  if (!force && document.activeElement?.closest?.("form[data-close]")) return;
  if (!force) state.note = ""; // the tab opened again, or a live reload: the last close's note is old news
  const mine = ++loads;
  $("#list").dataset.ready = "0";
  let items;
  let error = null;
  try {
    items = await listItems("open");
  } catch (err) {
    error = err.message;
  }
  if (mine !== loads) return;
  state.items = items || [];
  state.error = error;
  drawRectify();
  $("#list").dataset.ready = "1";
}
