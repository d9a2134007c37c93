// The board's 整改事项: every open rectification item (closed ones too on request) with the next period's figure
// beside it, a close form on each, and a button that opens the items a finished period calls for (the picker's
// period). Printed, the open items are part of the monthly report; the forms and buttons are not.
import { api, escapeHtml } from "../common/api.js";
import { listHtml, listItems, wireForms } from "../common/rectify.js";
import { t } from "../i18n/index.js";

const $ = (sel) => document.querySelector(sel);
const state = { items: null, error: null, period: () => "", note: null };

function say(key, vars, error = false) {
  state.note = key ? { key, vars, error } : null;
  const box = $("#rect-status");
  box.textContent = key ? t(key, vars) : "";
  box.classList.toggle("error", error);
}

export function renderRect() {
  const box = $("#rect");
  const period = state.period();
  $("#rect-open").textContent = t("rect.open_for", { period });
  if (state.note) say(state.note.key, state.note.vars, state.note.error);
  if (state.error) {
    box.innerHTML = `<p class="error">${escapeHtml(t("rect.load_error", { message: state.error }))}</p>`;
    return;
  }
  if (!state.items) {
    box.innerHTML = `<p class="muted">${escapeHtml(t("board.loading"))}</p>`;
    return;
  }
  box.innerHTML = listHtml(state.items, { empty: $("#rect-closed").checked ? "rect.empty_all" : "rect.empty" });
  wireForms(box, async () => {
    say("rect.closed_ok");
    await loadRect();
  });
}

export async function loadRect() {
  const box = $("#rect");
  box.dataset.ready = "0";
  try {
    state.items = await listItems($("#rect-closed").checked ? "all" : "open");
    state.error = null;
  } catch (err) {
    state.items = null;
    state.error = err.message;
  }
  renderRect();
  box.dataset.ready = "1";
}

async function openPeriod() {
  const period = state.period();
  const button = $("#rect-open");
  button.disabled = true;
  say(null);
  try {
    const made = await api("/evaluation/rectifications/open", { method: "POST", query: { period } });
    say(made.length ? "rect.opened" : "rect.opened_none", { n: made.length, period });
    await loadRect();
  } catch (err) {
    say("rect.open_error", { message: err.message }, true);
  } finally {
    button.disabled = false;
  }
}

/** Wire the section; ``period()`` gives the picker's period (the one the board shows). */
export function initRect(period) {
  state.period = period;
  $("#rect-closed").addEventListener("change", loadRect);
  $("#rect-open").addEventListener("click", openPeriod);
}
