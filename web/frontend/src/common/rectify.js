// 整改 (rectification items): what a poor grade or an indicator past its threshold opened for its owner, with the
// next period's figure beside it and the form that closes it with a written account. Shared by the board (all
// items, for supervisors) and the desk (a department's own). GET /evaluation/rectifications, POST …/{id}/close.
import "./rectify.css";
import { api, errorText, escapeHtml } from "./api.js";
import { t } from "../i18n/index.js";

const MIN_ACCOUNT = 10; // the API's minimum (after trimming): said here too, before a request for an empty form
const drafts = new Map(); // id → the account being typed: a redraw (language switch, reload) keeps it
const refusals = new Map(); // id → () => why the last close was refused: kept (in the page's language) by a redraw

const isRate = (key) => key.endsWith("_rate");
const indicatorName = (key) => t(`board.ind.${key}`);

/** An indicator's figure as the board shows it: rates in per cent (75.0%), counts and ratios as numbers. */
export function figure(key, value) {
  if (value === null || value === undefined) return t("board.none");
  return isRate(key) ? `${(value * 100).toFixed(1)}%` : String(Math.round(value * 100) / 100);
}

function threshold(key, value) {
  return isRate(key) ? `${Math.round(value * 1000) / 10}%` : String(Math.round(value * 100) / 100);
}

/** "等级 D" or "按时处置率 75.0% 低于 80%". */
export function reasonText(item) {
  if (item.reason === "grade" || !item.indicator) return t("rect.reason_grade", { grade: item.grade });
  const below = item.value !== null && item.threshold !== null && item.value < item.threshold;
  return t(below ? "rect.reason_below" : "rect.reason_above", { indicator: indicatorName(item.indicator),
    value: figure(item.indicator, item.value), threshold: item.threshold === null ? "" : threshold(item.indicator, item.threshold) });
}

/** "下期 2026-12 · C 68.5 · 按时处置率 82.0%", or that the next period has no score yet. */
export function nextText(item) {
  const n = item.next;
  if (!n) return "";
  if (n.score === null || n.score === undefined) return t("rect.next_none", { period: n.period });
  const parts = [`${n.grade || ""} ${n.score.toFixed(1)}`.trim()];
  if (item.indicator) parts.push(`${indicatorName(item.indicator)} ${figure(item.indicator, n.value)}`);
  return t("rect.next", { period: n.period, figures: parts.join(" · ") });
}

function today() {
  return new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
}

export const pastDue = (item) => item.state === "open" && item.due_on < today();

/** One item as an article; ``form``: with the close form (an open item, for whoever may close it). */
export function itemHtml(item, { form = true } = {}) {
  const late = pastDue(item);
  const closed = item.state === "closed";
  const name = item.subject_name || item.subject;
  return `<article class="rect-item ${closed ? "closed" : ""}" data-rect="${item.id}" data-state="${escapeHtml(item.state)}"
      aria-labelledby="rect-h-${item.id}">
    <h3 id="rect-h-${item.id}"><span class="rect-object">${escapeHtml(t(`rect.object.${item.object}`))}</span> ${escapeHtml(name)}
      <span class="rect-reason">${escapeHtml(reasonText(item))}</span></h3>
    <dl class="rect-facts">
      <div><dt>${escapeHtml(t("rect.period"))}</dt><dd>${escapeHtml(item.period)}</dd></div>
      <div><dt>${escapeHtml(t("rect.result"))}</dt><dd><span class="grade grade-${escapeHtml(item.grade || "none")}">${escapeHtml(item.grade)}</span>
        ${escapeHtml(item.score.toFixed(1))}</dd></div>
      <div class="${late ? "rect-late" : ""}" data-due><dt>${escapeHtml(t("rect.due"))}</dt><dd>${escapeHtml(item.due_on)}${late
        ? ` ${escapeHtml(t("rect.past_due"))}` : ""}</dd></div>
      <div class="rect-next" data-next><dt>${escapeHtml(t("rect.next_title"))}</dt><dd>${escapeHtml(nextText(item))}</dd></div>
    </dl>
    ${closed ? `<p class="rect-account"><b>${escapeHtml(t("rect.account"))}</b> ${escapeHtml(item.account)}
      <span class="muted">${escapeHtml(t("rect.closed_by", { by: item.closed_by, at: (item.closed_at || "").slice(0, 10) }))}</span></p>` : ""}
    ${form && !closed ? `<form class="rect-close no-print" data-close="${item.id}" novalidate>
      <label for="rect-a-${item.id}">${escapeHtml(t("rect.account_label"))}</label>
      <textarea id="rect-a-${item.id}" name="account" rows="3" maxlength="4000"
        aria-describedby="rect-e-${item.id}">${escapeHtml(drafts.get(item.id) || "")}</textarea>
      <p class="error" id="rect-e-${item.id}" role="alert">${escapeHtml(refusals.get(item.id)?.() || "")}</p>
      <button type="submit" class="primary">${escapeHtml(t("rect.close"))}</button>
    </form>` : ""}
  </article>`;
}

/** The items as a list, or a line saying there are none. */
export function listHtml(items, { form = true, empty = "rect.empty" } = {}) {
  if (!items.length) return `<p class="muted rect-empty">${escapeHtml(t(empty))}</p>`;
  return `<div class="rect-list">${items.map((item) => itemHtml(item, { form })).join("")}</div>`;
}

/** Run ``draw`` (which redraws root's forms) without taking the place of the one being written in: the field
 * with the focus gets it back, its caret where it was (a live refresh arrives while someone types: without this,
 * the rest of what they type goes nowhere). */
export function keepingFocus(root, draw) {
  const active = document.activeElement;
  const field = active && root.contains(active) && active.closest("form[data-close]") && active.id ? active : null;
  const caret = field && "selectionStart" in field ? [field.selectionStart, field.selectionEnd] : null;
  draw();
  if (!field) return;
  const again = root.querySelector(`#${CSS.escape(field.id)}`);
  if (!again) return;
  again.focus({ preventScroll: true });
  if (caret && "setSelectionRange" in again) again.setSelectionRange(...caret);
}

/** The close forms under root sent to the API; ``onClosed(item)`` after one went through. A refusal shows the
 * server's error (account_too_short, rectification_closed, …) in the page's language under the form. */
export function wireForms(root, onClosed) {
  root.querySelectorAll("form[data-close]").forEach((form) => {
    const id = Number(form.dataset.close);
    const box = form.querySelector(".error");
    const text = form.querySelector("textarea");
    text.addEventListener("input", () => { drafts.set(id, text.value); });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const account = text.value.trim();
      // a refusal stays under the form when the live refresh or a language switch redraws it (in the words of
      // the page's language at the time it is drawn)
      const refuse = (why) => {
        refusals.set(id, why);
        const now = root.querySelector(`form[data-close="${id}"]`) || form;
        now.querySelector(".error").textContent = why();
        now.querySelector("textarea").focus();
      };
      box.textContent = "";
      refusals.delete(id);
      if (!account) {  // nothing written: said at once (the API would only say the form is not usable)
        refuse(() => t("error.account_too_short", { min_length: MIN_ACCOUNT }));
        return;
      }
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      form.setAttribute("aria-busy", "true");
      try {
        const item = await api(`/evaluation/rectifications/${id}/close`, { json: { account } });
        drafts.delete(id);
        await onClosed(item);
      } catch (err) {
        refuse(() => (err.status ? errorText(err.status, err.body) : err.message));
      } finally {
        button.disabled = false;
        form.removeAttribute("aria-busy");
      }
    });
  });
}

/** GET /evaluation/rectifications?status=…; throws the ApiError (403 for those who see none). */
export function listItems(status = "open") {
  return api("/evaluation/rectifications", { query: { status } });
}
