// Notifications (SLA warnings and escalations addressed to this user) as they arrive over the live feed:
// a card in the corner that stays until it is read; reading it marks it read on the server
// (POST /notifications/{id}/read). The title comes from the server in both languages, "中文 / English".
import { api, escapeHtml } from "./api.js";
import { lang, t } from "../i18n/index.js";

function box() {
  let root = document.querySelector("#notifications");
  if (!root) {
    root = document.createElement("div");
    root.id = "notifications";
    root.className = "notifications";
    root.setAttribute("aria-live", "polite");
    document.body.append(root);
  }
  return root;
}

function inLanguage(title) {
  const [zh, en] = String(title || "").split(" / ");
  return lang() === "en" && en ? en : zh;
}

/** Show a `notification` live event; `onOpen(ticketId)` when the user asks to see the case. */
export function notify(event, { onOpen } = {}) {
  const p = event.payload || {};
  const card = document.createElement("div");
  card.className = `notification level-${Math.min(Number(p.level) || 1, 3)}`;
  card.dataset.id = String(p.id);
  card.setAttribute("role", "status");
  card.innerHTML = `<div class="notification-title">${escapeHtml(inLanguage(p.title))}</div>
    <div class="notification-buttons">
      ${onOpen && p.ticket_id ? `<button type="button" data-open>${escapeHtml(t("notify.open"))}</button>` : ""}
      <button type="button" data-read>${escapeHtml(t("notify.read"))}</button></div>`;
  const read = () => {
    card.remove();
    api(`/notifications/${p.id}/read`, { method: "POST", json: {} }).catch(() => {});
  };
  card.querySelector("[data-read]").addEventListener("click", read);
  card.querySelector("[data-open]")?.addEventListener("click", () => { read(); onOpen(p.ticket_id); });
  const root = box();
  root.prepend(card);
  while (root.children.length > 5) root.lastElementChild.remove(); // the rest stay in /notifications
}
