// "My cases" (GET /tickets?mine=true, each opening its case page) and "my tasks": cases in the worker's own
// cells waiting for them on site, to verify (verifying: 属实 or 不属实) or to check (resolved), with live
// countdowns and the buttons the lifecycle allows (each case's allowed_actions). The card saying an act was
// done stays through live refreshes until the worker dismisses it or leaves the tab.
import { api, escapeHtml, isStale, lightText, remainingText, when } from "../common/api.js";
import { actionLabel, lang, statusLabel, t } from "../i18n/index.js";
import { casePage } from "./casepage.js";
import { categoryName } from "./category.js";
import { readPhoto } from "./photos.js";

const TASK_STATUSES = ["verifying", "resolved"];
const TASK_ACTIONS = ["verify", "verify_untrue", "check_pass", "check_fail", "comment"];
const NEEDS_REASON = new Set(["verify_untrue", "check_fail", "comment"]);
const TAKES_PHOTO = new Set(["verify", "verify_untrue", "check_pass", "check_fail"]);
const NEEDS_PHOTO = new Set(["verify_untrue"]);
const PRIMARY = new Set(["verify", "check_pass"]);
const DANGER = new Set(["verify_untrue", "check_fail"]);

function left(item, loadedAt) {
  return item.sla.remaining_s - (Date.now() - loadedAt) / 1000;
}

export class Lists {
  /** ``onOpen(id)`` and ``onBack()``: the worker opened a case from the list or tapped its back button (main.js
   * records both in the browser's history); without them the list opens and closes cases itself. */
  constructor({ me, categories, departments = [], mineRoot, tasksRoot, onTasks, onOpen, onBack }) {
    this.me = me;
    this.byCode = Object.fromEntries(categories.map((c) => [c.code, c]));
    this.departments = Object.fromEntries(departments.map((d) => [d.code, d]));
    this.opened = null;  // the case page shown in "my cases", or null for the list
    this.done = null;  // the last act done from "my tasks", shown until dismissed
    this.mineRoot = mineRoot;
    this.tasksRoot = tasksRoot;
    this.onTasks = onTasks;
    this.onOpen = onOpen || ((id) => this.openCase(id));
    this.onBack = onBack || (() => this.closeCase());
    this.mine = null;
    this.tasks = null;
    this.queued = [];
    this.loadedAt = Date.now();
    tasksRoot.addEventListener("click", (e) => this.click(e));
    mineRoot.addEventListener("click", (e) => this.mineClick(e));
    mineRoot.addEventListener("keydown", (e) => {
      if ((e.key === "Enter" || e.key === " ") && e.target.matches(".item[data-id]")) {
        e.preventDefault();
        this.onOpen(Number(e.target.dataset.id));
      }
    });
    setInterval(() => this.tick(), 1000);
  }

  category(code) { return categoryName(this.byCode[code]) || code; }

  department(code) {
    const d = this.departments[code];
    return (d && (lang() === "en" ? d.name_en || d.name : d.name)) || code;
  }

  mineClick(e) {
    if (e.target.closest("[data-back]")) { this.onBack(); return; }
    const row = e.target.closest(".item[data-id]");
    if (row && !this.opened) this.onOpen(Number(row.dataset.id));
  }

  /** Show case ``id``; false when it could not be fetched, or another view was chosen meanwhile. */
  async openCase(id) {
    this.wanted = id;
    let opened;
    try {
      opened = await api(`/tickets/${id}`);
    } catch (err) {
      if (this.wanted !== id) return false;
      this.openedError = err.message;
      this.renderMine();
      return false;
    }
    if (this.wanted !== id) return false;
    this.opened = opened;
    this.openedError = null;
    this.renderMine();
    window.scrollTo(0, 0);
    this.mineRoot.querySelector("#case-title")?.focus();
    return true;
  }

  closeCase() {
    this.wanted = null;
    if (!this.opened) return;
    const id = this.opened.id;
    this.opened = null;
    this.renderMine();
    this.mineRoot.querySelector(`.item[data-id="${id}"]`)?.focus();
  }

  /** Leaving a tab: the case page goes back to the list, the done card goes away. */
  leave(tab) {
    if (tab === "tasks" && this.done) { this.done = null; this.renderTasks(); }
    if (tab === "mine") this.wanted = null;
    if (tab === "mine" && this.opened) { this.opened = null; this.renderMine(); }
  }

  async loadMine() {
    try {
      this.mine = (await api("/tickets", { query: { mine: true, limit: 50 } })).items;
      this.mineError = null;
      if (this.opened) this.opened = await api(`/tickets/${this.opened.id}`).catch(() => this.opened);
    } catch (err) {
      this.mineError = err.message;
    }
    this.renderMine();
  }

  editing() { return Boolean(this.tasksRoot.querySelector(".task-form")); }

  async loadTasks() {
    // never wipe a form being filled in: not before the fetch, nor when it comes back (the worker may have
    // opened one meanwhile); the list is refreshed once the form is sent or cancelled
    if (this.editing()) { this.stale = true; return; }
    try {
      const page = await api("/tickets", { query: { status: TASK_STATUSES.join(","), limit: 100 } });
      const own = page.items.filter((i) => this.me.cell_codes.includes(i.cell_code));
      const tasks = await Promise.all(own.map((i) => api(`/tickets/${i.id}`)));
      if (this.editing()) { this.stale = true; return; }
      this.stale = false;
      this.tasks = tasks;
      this.tasks.sort((a, b) => (a.sla?.remaining_s ?? Infinity) - (b.sla?.remaining_s ?? Infinity));
      this.loadedAt = Date.now();
      this.tasksError = null;
    } catch (err) {
      this.tasksError = err.message;
    }
    this.onTasks?.(this.tasks?.length || 0);
    this.renderTasks();
  }

  renderMine() {
    const root = this.mineRoot;
    if (this.opened) {
      root.innerHTML = casePage(this.opened, { category: this.category(this.opened.category_code),
        department: (code) => this.department(code) });
      return;
    }
    const waiting = this.queued.map((q) => `<div class="item queued ${q.failed ? "failed" : ""}">
        <div class="item-head"><b>${t(q.failed ? "m.outbox.failed_one" : "m.outbox.waiting_one")}</b>
        <span class="muted">${when(q.created_at)}</span></div>
        <div>${escapeHtml(this.category(q.fields.category_code))} · ${escapeHtml(q.fields.description.slice(0, 60))}</div></div>`).join("");
    if (this.mine === null) {
      root.innerHTML = waiting + `<p class="muted pad">${escapeHtml(this.mineError || t("m.loading"))}</p>`;
      return;
    }
    const problem = this.mineError || this.openedError;
    root.innerHTML = waiting + (problem ? `<p class="warn pad">${escapeHtml(problem)}</p>` : "")
      + (this.mine.length ? this.mine.map((i) => `<div class="item mine" data-id="${i.id}" tabindex="0" role="button"
          aria-label="${escapeHtml(t("m.mine.open", { case: i.case_number }))}">
        <div class="item-head">${i.sla ? `<span class="light ${i.sla.light}" title="${escapeHtml(t(`light.${i.sla.light}`))}"></span>` : ""}
          <b>${escapeHtml(i.case_number)}</b>
          <span class="badge status" data-status="${i.status}">${escapeHtml(statusLabel(i.status))}</span></div>
        ${i.sla ? `<div class="sla-line ${i.sla.light}" data-light="${i.sla.light}">${escapeHtml(lightText(i.sla))}</div>` : ""}
        <div>${escapeHtml(this.category(i.category_code))} · <span class="muted">${when(i.created_at)}</span></div>
        <div class="muted">${escapeHtml(i.description.slice(0, 80))}</div>
        ${i.support_count ? `<div class="muted">${t("m.nearby.supports", { n: i.support_count })}</div>` : ""}</div>`).join("")
        : `<p class="muted pad">${t("m.mine.empty")}</p>`);
  }

  renderTasks() {
    const root = this.tasksRoot;
    if (this.tasks === null) {
      root.innerHTML = `<p class="muted pad">${escapeHtml(this.tasksError || t("m.loading"))}</p>`;
      return;
    }
    const error = this.tasksError ? `<p class="warn pad">${escapeHtml(this.tasksError)}</p>` : "";
    const done = this.done ? `<div class="card ok-card" role="status" data-done="${this.done.action}">
        <span>${t("m.task.done", { action: escapeHtml(actionLabel(this.done.action)), case: escapeHtml(this.done.case) })}</span>
        <button type="button" data-dismiss>${t("m.task.dismiss")}</button></div>` : "";
    if (!this.tasks.length) { root.innerHTML = `${done}${error}<p class="muted pad">${t("m.tasks.empty")}</p>`; return; }
    root.innerHTML = done + error + this.tasks.map((d) => {
      const light = d.sla?.light || "green";
      const actions = d.allowed_actions.filter((a) => TASK_ACTIONS.includes(a));
      const photos = d.photos.slice(-4).map((p) => {
        const side = t(["resolve", "check"].includes(p.stage) ? "m.case.after" : "m.case.before");
        return `<figure data-stage="${escapeHtml(p.stage)}"><a href="${p.url}" target="_blank"><img src="${p.url}" alt="${escapeHtml(side)}"></a>
          <figcaption>${escapeHtml(side)} · ${when(p.created_at)}</figcaption></figure>`;
      }).join("");
      return `<div class="item task" data-id="${d.id}">
        <div class="item-head"><span class="light ${light}"></span><b>${escapeHtml(t(`m.task.${d.status}`))}</b>
          ${d.sla ? `<span class="countdown ${light}" data-id="${d.id}">${remainingText(left(d, this.loadedAt), d.sla)}</span>` : ""}</div>
        <div><b>${escapeHtml(d.case_number)}</b> · ${escapeHtml(this.category(d.category_code))}</div>
        <div>${escapeHtml(d.description)}</div>
        <div class="muted">${d.address ? `${escapeHtml(d.address)} · ` : ""}${escapeHtml(d.cell_code)}${d.department_code ? ` · <span class="department">${escapeHtml(this.department(d.department_code))}</span>` : ""}</div>
        ${photos ? `<div class="task-photos">${photos}</div>` : ""}
        <div class="buttons">${actions.map((a) => `<button type="button" data-action="${a}"
          class="${PRIMARY.has(a) ? "primary" : DANGER.has(a) ? "danger" : ""}">${escapeHtml(actionLabel(a))}</button>`).join("")}</div>
        <div class="task-form-box"></div></div>`;
    }).join("");
  }

  tick() {
    document.querySelectorAll(".countdown[data-id]").forEach((el) => {
      const item = this.tasks?.find((i) => i.id === Number(el.dataset.id));
      if (item?.sla) el.textContent = remainingText(left(item, this.loadedAt), item.sla);
    });
  }

  click(e) {
    if (e.target.closest("[data-dismiss]")) { this.done = null; this.renderTasks(); return; }
    const card = e.target.closest(".task");
    if (!card) return;
    const d = this.tasks.find((x) => x.id === Number(card.dataset.id));
    const box = card.querySelector(".task-form-box");
    const action = e.target.closest("button[data-action]")?.dataset.action;
    if (action) {
      box.innerHTML = `<div class="task-form" data-form="${action}">
        <label for="reason-${d.id}">${t(action === "verify_untrue" ? "m.task.reason_untrue" : NEEDS_REASON.has(action) ? "reason" : "m.task.note")}</label>
        <textarea id="reason-${d.id}" name="reason" rows="3" maxlength="2000"></textarea>
        ${TAKES_PHOTO.has(action) ? `<label class="button"><span>${t(NEEDS_PHOTO.has(action) ? "m.task.photo_needed" : "m.task.photo")}</span>
          <input name="photos" class="file" type="file" accept="image/*" capture="environment"></label><span class="muted file-name"></span>` : ""}
        <div class="buttons"><button type="button" class="primary" data-go>${escapeHtml(actionLabel(action))}</button>
          <button type="button" data-cancel>${t("cancel")}</button></div>
        <p class="error" role="alert"></p></div>`;
      box.querySelector("input[type=file]")?.addEventListener("change", async (ev) => {
        const input = ev.target;
        const file = input.files[0];
        box.querySelector(".file-name").textContent = file?.name || "";
        box.querySelector(".error").textContent = "";
        input.reading = file ? readPhoto(file) : null;  // shrunk once, while the worker types; sent as it is
        if (file && !(await input.reading) && input.files[0] === file) {  // not a picture: refused now, by its name
          input.value = "";
          input.reading = null;
          box.querySelector(".file-name").textContent = "";
          box.querySelector(".error").textContent = t("m.photo.not_image", { names: `“${file.name}”` });
        }
      });
      return;
    }
    if (e.target.closest("[data-cancel]")) {
      box.innerHTML = "";
      if (this.stale) this.loadTasks();
      return;
    }
    if (e.target.closest("[data-go]")) this.send(d, box);
  }

  async send(d, box) {
    const form = box.querySelector(".task-form");
    const action = form.dataset.form;
    const reason = form.querySelector("[name=reason]").value.trim();
    const error = form.querySelector(".error");
    if (NEEDS_REASON.has(action) && !reason) { error.textContent = t("m.task.reason_needed"); return; }
    const input = form.querySelector("[name=photos]");
    const file = input?.files[0];
    if (NEEDS_PHOTO.has(action) && !file) { error.textContent = t("m.task.photo_missing"); return; }
    const go = form.querySelector("[data-go]");
    go.disabled = true;
    try {
      const blob = file && await (input.reading || readPhoto(file));
      if (file && !blob) { go.disabled = false; error.textContent = t("m.photo.not_image", { names: `“${file.name}”` }); return; }
      if (file) {
        const body = new FormData();
        if (reason) body.append("reason", reason);
        body.append("version", String(d.version));
        body.append("photos", blob, file.name);  // a refusal names the worker's own file
        await api(`/tickets/${d.id}/actions/${action}`, { form: body });
      } else {
        await api(`/tickets/${d.id}/actions/${action}`, { json: { reason: reason || null, version: d.version, payload: {} } });
      }
      this.done = { action, case: d.case_number };
      box.innerHTML = "";
      await this.loadTasks();
    } catch (err) {
      go.disabled = false;
      error.textContent = err.message;
      if (isStale(err)) { // keep the form as filled in; the next confirm goes with the new version
        const fresh = await api(`/tickets/${d.id}`).catch(() => null);
        if (fresh) Object.assign(d, fresh);
        this.stale = true;
        error.textContent = t("error.changed", { status: statusLabel(d.status) });
      }
    }
  }
}
