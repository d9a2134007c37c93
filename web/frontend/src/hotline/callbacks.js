// Call-backs (回访): the closed public cases waiting for a call (GET /callbacks). Per case the operator records
// a call that did not get through (call_back, {reached: false, tries}), a call answered by a reporter who declines
// to rate (call_back, {reached: true, declined: true, tries}) or the reporter's rating by phone (rate, {level,
// comment, channel: "phone"}); a rated or declined case leaves the list.
import { api, errorText, escapeHtml, when } from "../common/api.js";
import { t } from "../i18n/index.js";

export const LEVELS = ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied"];

/** The department's reply on the case: the note of its last resolve act. */
function replyOf(detail) {
  const resolves = (detail.timeline || []).filter((e) => e.action === "resolve");
  return resolves.length ? resolves[resolves.length - 1].reason || "" : "";
}

export class Callbacks {
  constructor(root, { categoryName, deptName, onCount }) {
    this.root = root;
    this.categoryName = categoryName;
    this.deptName = deptName;
    this.onCount = onCount;
    this.items = [];
    this.total = 0;
    this.loaded = false;
    this.selected = null;
    this.replies = new Map();  // case id → the department's reply (read once from the case's timeline)
    this.rating = null;        // the id of the case whose rating form is open
    this.message = null;       // {ok, text} of the last record
    root.innerHTML = `
      <div class="result" id="cb-result" role="status" aria-live="polite"></div>
      <div class="callbacks">
        <section class="cb-list" aria-labelledby="cb-title">
          <div class="head"><h2 id="cb-title" data-i18n="hotline.callbacks"></h2>
            <button type="button" id="cb-refresh" data-i18n="hotline.refresh"></button></div>
          <p class="hint muted" id="cb-count"></p>
          <ul id="cb-list"></ul>
        </section>
        <section class="cb-detail" id="cb-detail" aria-labelledby="cb-case"></section>
      </div>`;
    root.querySelector("#cb-refresh").addEventListener("click", () => this.load());
    root.querySelector("#cb-list").addEventListener("click", (ev) => {
      const row = ev.target.closest(".cb-row");
      if (row) this.select(Number(row.dataset.id));
    });
    root.querySelector("#cb-detail").addEventListener("click", (ev) => this.onDetailClick(ev));
  }

  async load({ quiet = false } = {}) {
    let page;
    try {
      page = await api("/callbacks", { query: { limit: 50 } });
    } catch (err) {
      if (!quiet) this.say(false, () => errorText(err.status, err.body));
      return;
    }
    this.items = page.items;
    this.total = page.total;
    this.loaded = true;
    if (this.selected && !this.items.some((i) => i.id === this.selected)) {
      this.selected = null;
      this.rating = null;
    }
    this.onCount?.();
    this.drawList();
    this.drawDetail();
    this.readReplies();
  }

  item(id) { return this.items.find((i) => i.id === id); }

  /** Each listed case's reply, a few at a time (a case's reply does not change once it is closed). */
  async readReplies() {
    const todo = this.items.filter((i) => !this.replies.has(i.id) && typeof i.reply !== "string");
    const next = async () => {
      while (todo.length) {
        const item = todo.shift();
        const detail = await api(`/tickets/${item.id}`).catch(() => null);
        if (!detail) continue;
        this.replies.set(item.id, replyOf(detail));
        const row = this.root.querySelector(`.cb-row[data-id="${item.id}"] .reply`);
        if (row) row.textContent = this.replyText(item);
        if (this.selected === item.id) this.drawReply();
      }
    };
    await Promise.all([next(), next(), next()]);
  }

  replyText(item) {
    const reply = typeof item.reply === "string" ? item.reply : this.replies.get(item.id);
    if (reply === undefined) return t("hotline.reply_loading");
    return reply || t("hotline.reply_none");
  }

  closedAt(item) { return item.timestamps?.closed || item.closed_at || item.updated_at; }

  who(item) {
    const c = item.contact || {};
    return { name: c.name || t("hotline.anonymous"), phone: c.phone || "", confidential: Boolean(c.confidential) };
  }

  redraw() {
    this.drawList();
    this.drawDetail();
    this.drawMessage();
  }

  drawList() {
    const list = this.root.querySelector("#cb-list");
    const had = list.contains(document.activeElement) ? document.activeElement.dataset.id : null;
    this.root.querySelector("#cb-count").textContent = this.total > this.items.length
      ? t("hotline.callbacks_more", { total: this.total, n: this.items.length }) : "";
    if (!this.items.length) {
      list.innerHTML = this.loaded ? `<li class="hint muted cb-empty">${escapeHtml(t("hotline.callbacks_empty"))}</li>` : "";
      return;
    }
    list.innerHTML = this.items.map((item) => {
      const who = this.who(item);
      return `<li><button type="button" class="cb-row" data-id="${item.id}" aria-current="${this.selected === item.id}">
        <span class="case">${escapeHtml(item.case_number)}</span> · ${escapeHtml(this.categoryName(item.category_code))}
        <span class="meta">${escapeHtml(who.name)} · ${escapeHtml(who.phone)} · ${escapeHtml(t("hotline.closed_at"))} ${escapeHtml(when(this.closedAt(item)))}</span>
        <span class="reply">${escapeHtml(this.replyText(item))}</span>
        ${item.callback_tries ? `<span class="meta tries">${escapeHtml(t("hotline.tries", { n: item.callback_tries }))}</span>` : ""}
      </button></li>`;
    }).join("");
    if (had) list.querySelector(`.cb-row[data-id="${had}"]`)?.focus();
  }

  select(id) {
    if (this.selected !== id) this.rating = null;
    this.selected = id;
    this.drawList();
    this.drawDetail();
  }

  drawDetail() {
    const box = this.root.querySelector("#cb-detail");
    const item = this.item(this.selected);
    if (!item) { box.innerHTML = `<p class="muted">${escapeHtml(t(this.items.length || !this.loaded ? "hotline.choose" : "hotline.callbacks_empty"))}</p>`; return; }
    const who = this.who(item);
    const typed = box.querySelector("#rate-comment")?.value || "";
    const level = box.querySelector("input[name=level]:checked")?.value || "";
    box.innerHTML = `<h2 id="cb-case">${escapeHtml(item.case_number)}</h2>
      <dl>
        <dt>${escapeHtml(t("hotline.caller"))}</dt><dd>${escapeHtml(who.name)}${who.confidential
          ? ` <span class="badge">${escapeHtml(t("hotline.confidential_badge"))}</span>` : ""}</dd>
        <dt>${escapeHtml(t("hotline.caller_phone"))}</dt><dd class="phone" id="cb-phone">${escapeHtml(who.phone)}</dd>
        <dt>${escapeHtml(t("hotline.category"))}</dt><dd>${escapeHtml(this.categoryName(item.category_code))}</dd>
        <dt>${escapeHtml(t("hotline.reported"))}</dt><dd>${escapeHtml(item.description)}</dd>
        ${item.address ? `<dt>${escapeHtml(t("hotline.address"))}</dt><dd>${escapeHtml(item.address)}</dd>` : ""}
        <dt>${escapeHtml(t("hotline.department"))}</dt><dd>${escapeHtml(this.deptName(item.department_code))}</dd>
        <dt>${escapeHtml(t("hotline.closed_at"))}</dt><dd>${escapeHtml(when(this.closedAt(item)))}</dd>
        <dt>${escapeHtml(t("hotline.reply"))}</dt><dd id="cb-reply">${escapeHtml(this.replyText(item))}</dd>
      </dl>
      ${item.callback_tries ? `<p class="tries">${escapeHtml(t("hotline.tries", { n: item.callback_tries }))}</p>` : ""}
      <div class="actions">
        <button type="button" data-act="not-reached">${escapeHtml(t("hotline.not_reached"))}</button>
        <button type="button" class="primary" data-act="reached" aria-expanded="${this.rating === item.id}">${escapeHtml(t("hotline.reached"))}</button>
        <button type="button" data-act="declined">${escapeHtml(t("hotline.declined"))}</button>
      </div>
      ${this.rating === item.id ? this.rateForm(level, typed) : ""}
      <p class="error" id="cb-error" role="alert"></p>`;
  }

  drawReply() {
    const item = this.item(this.selected);
    const dd = this.root.querySelector("#cb-reply");
    if (item && dd) dd.textContent = this.replyText(item);
  }

  rateForm(level, comment) {
    return `<div class="rate-form" id="rate-form">
      <fieldset class="levels"><legend>${escapeHtml(t("hotline.rating"))}</legend>
        ${LEVELS.map((l) => `<label><input type="radio" name="level" value="${l}" ${l === level ? "checked" : ""}>
          ${escapeHtml(t(`rating.${l}`))}</label>`).join("")}
      </fieldset>
      <label class="comment" for="rate-comment">${escapeHtml(t("hotline.rating_comment"))}</label>
      <textarea id="rate-comment" rows="2" maxlength="500">${escapeHtml(comment)}</textarea>
      <div class="actions"><button type="button" class="primary" data-act="rate">${escapeHtml(t("hotline.rating_save"))}</button>
        <button type="button" data-act="cancel-rate">${escapeHtml(t("cancel"))}</button></div>
    </div>`;
  }

  async onDetailClick(ev) {
    const b = ev.target.closest("button[data-act]");
    const item = this.item(this.selected);
    if (!b || !item) return;
    const error = this.root.querySelector("#cb-error");
    if (b.dataset.act === "reached") {
      this.rating = this.rating === item.id ? null : item.id;
      this.drawDetail();
      this.root.querySelector(this.rating ? "#rate-form input[name=level]" : "[data-act=reached]")?.focus();
      return;
    }
    if (b.dataset.act === "cancel-rate") {
      this.rating = null;
      this.drawDetail();
      this.root.querySelector("[data-act=reached]")?.focus();
      return;
    }
    b.disabled = true;
    try {
      if (b.dataset.act === "not-reached") {
        const tries = (item.callback_tries || 0) + 1;
        const d = await api(`/tickets/${item.id}/actions/call_back`, { json: { payload: { reached: false, tries } } });
        item.callback_tries = d.callback_tries ?? tries;
        if (d.callback_state === "unreachable") {  // the last try the service allows: the call-back ends
          this.say(true, () => t("hotline.not_reached_ended", { n: item.case_number, tries: item.callback_tries }));
          this.done(item);
          return;
        }
        this.say(true, () => t("hotline.not_reached_saved", { n: item.case_number, tries: item.callback_tries }));
        await this.load({ quiet: true });
        this.focusRow(item.id);
      } else if (b.dataset.act === "rate") {
        const level = this.root.querySelector("input[name=level]:checked")?.value;
        if (!level) {
          error.textContent = t("hotline.pick_level");
          this.root.querySelector("input[name=level]")?.focus();
          b.disabled = false;
          return;
        }
        const comment = this.root.querySelector("#rate-comment").value.trim();
        await api(`/tickets/${item.id}/actions/rate`, { json: { payload: { level, comment, channel: "phone" } } });
        this.say(true, () => t("hotline.rated", { n: item.case_number, level: t(`rating.${level}`) }));
        this.done(item);
      } else if (b.dataset.act === "declined") {  // reached, but the reporter will not rate: the call-back ends
        const tries = (item.callback_tries || 0) + 1;
        await api(`/tickets/${item.id}/actions/call_back`, { json: { payload: { reached: true, declined: true, tries } } });
        this.say(true, () => t("hotline.declined_saved", { n: item.case_number }));
        this.done(item);
      }
    } catch (err) {
      b.disabled = false;
      if (err.status === 409) {  // rated meanwhile, or too late: said above the list, which is read again
        this.say(false, () => t("hotline.case_error", { n: item.case_number, message: errorText(err.status, err.body) }));
        await this.load({ quiet: true });
      } else {
        error.textContent = err.message;
      }
    }
  }

  /** A case whose call-back is over (rated, or declined to rate): off the list, the next one selected. */
  done(item) {
    const at = this.items.indexOf(item);
    this.items = this.items.filter((i) => i !== item);
    this.total = Math.max(0, this.total - 1);
    this.rating = null;
    const next = this.items[Math.min(at, this.items.length - 1)];
    this.selected = next?.id ?? null;
    this.onCount?.();
    this.drawList();
    this.drawDetail();
    if (next) this.focusRow(next.id);
    else this.root.querySelector("#cb-refresh").focus();
    this.load({ quiet: true });
  }

  focusRow(id) { this.root.querySelector(`.cb-row[data-id="${id}"]`)?.focus(); }

  /** A record's outcome above the list; ``text()`` gives its words in the page's language (again after a switch). */
  say(ok, text) {
    this.message = { ok, text };
    this.drawMessage();
  }

  drawMessage() {
    const box = this.root.querySelector("#cb-result");
    box.className = `result ${this.message ? (this.message.ok ? "ok" : "bad") : ""}`;
    box.textContent = this.message?.text() || "";
  }
}
