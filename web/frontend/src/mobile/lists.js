// "My reports" (GET /tickets?mine=true) and "my tasks": cases in the worker's own cells waiting for them
// on site, to verify (verifying) or to check (resolved), with live countdowns and the buttons the
// lifecycle allows (each case's allowed_actions), check_fail with a reason and an optional photo.
import { api, escapeHtml, isStale, remainingText, when } from "../common/api.js";
import { actionLabel, statusLabel, t } from "../i18n/index.js";
import { categoryName } from "./category.js";
import { shrink } from "./photos.js";

const TASK_STATUSES = ["verifying", "resolved"];
const TASK_ACTIONS = ["verify", "check_pass", "check_fail", "comment"];
const NEEDS_REASON = new Set(["check_fail", "comment"]);
const TAKES_PHOTO = new Set(["verify", "check_pass", "check_fail"]);

function left(item, loadedAt) {
  return item.sla.remaining_s - (Date.now() - loadedAt) / 1000;
}

export class Lists {
  constructor({ me, categories, mineRoot, tasksRoot, onTasks }) {
    this.me = me;
    this.byCode = Object.fromEntries(categories.map((c) => [c.code, c]));
    this.mineRoot = mineRoot;
    this.tasksRoot = tasksRoot;
    this.onTasks = onTasks;
    this.mine = null;
    this.tasks = null;
    this.queued = [];
    this.loadedAt = Date.now();
    tasksRoot.addEventListener("click", (e) => this.click(e));
    setInterval(() => this.tick(), 1000);
  }

  category(code) { return categoryName(this.byCode[code]) || code; }

  async loadMine() {
    try {
      this.mine = (await api("/tickets", { query: { mine: true, limit: 50 } })).items;
      this.mineError = null;
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
    const waiting = this.queued.map((q) => `<div class="item queued ${q.failed ? "failed" : ""}">
        <div class="item-head"><b>${t(q.failed ? "m.outbox.failed_one" : "m.outbox.waiting_one")}</b>
        <span class="muted">${when(q.created_at)}</span></div>
        <div>${escapeHtml(this.category(q.fields.category_code))} · ${escapeHtml(q.fields.description.slice(0, 60))}</div></div>`).join("");
    if (this.mine === null) {
      root.innerHTML = waiting + `<p class="muted pad">${escapeHtml(this.mineError || t("m.loading"))}</p>`;
      return;
    }
    root.innerHTML = waiting + (this.mineError ? `<p class="warn pad">${escapeHtml(this.mineError)}</p>` : "")
      + (this.mine.length ? this.mine.map((i) => `<div class="item" data-id="${i.id}">
        <div class="item-head"><b>${escapeHtml(i.case_number)}</b>
          <span class="badge status" data-status="${i.status}">${escapeHtml(statusLabel(i.status))}</span></div>
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
    if (!this.tasks.length) { root.innerHTML = `${error}<p class="muted pad">${t("m.tasks.empty")}</p>`; return; }
    root.innerHTML = error + this.tasks.map((d) => {
      const light = d.sla?.light || "green";
      const actions = d.allowed_actions.filter((a) => TASK_ACTIONS.includes(a));
      const photos = d.photos.slice(-4).map((p) => `<a href="${p.url}" target="_blank"><img src="${p.url}" alt="${escapeHtml(p.stage)}"></a>`).join("");
      return `<div class="item task" data-id="${d.id}">
        <div class="item-head"><span class="light ${light}"></span><b>${escapeHtml(t(`m.task.${d.status}`))}</b>
          ${d.sla ? `<span class="countdown ${light}" data-id="${d.id}">${remainingText(left(d, this.loadedAt))}</span>` : ""}</div>
        <div><b>${escapeHtml(d.case_number)}</b> · ${escapeHtml(this.category(d.category_code))}</div>
        <div>${escapeHtml(d.description)}</div>
        <div class="muted">${escapeHtml(d.cell_code)}${d.department_code ? ` · ${escapeHtml(d.department_code)}` : ""}</div>
        ${photos ? `<div class="task-photos">${photos}</div>` : ""}
        <div class="buttons">${actions.map((a) => `<button type="button" data-action="${a}"
          class="${a === "check_pass" || a === "verify" ? "primary" : a === "check_fail" ? "danger" : ""}">${escapeHtml(actionLabel(a))}</button>`).join("")}</div>
        <div class="task-form-box"></div></div>`;
    }).join("");
  }

  tick() {
    document.querySelectorAll(".countdown[data-id]").forEach((el) => {
      const item = this.tasks?.find((i) => i.id === Number(el.dataset.id));
      if (item?.sla) el.textContent = remainingText(left(item, this.loadedAt));
    });
  }

  click(e) {
    const card = e.target.closest(".task");
    if (!card) return;
    const d = this.tasks.find((x) => x.id === Number(card.dataset.id));
    const box = card.querySelector(".task-form-box");
    const action = e.target.closest("button[data-action]")?.dataset.action;
    if (action) {
      box.innerHTML = `<div class="task-form" data-form="${action}">
        <label>${t(NEEDS_REASON.has(action) ? "reason" : "m.task.note")}</label>
        <textarea name="reason" rows="3" maxlength="2000"></textarea>
        ${TAKES_PHOTO.has(action) ? `<label class="button"><span>${t("m.task.photo")}</span>
          <input name="photos" class="file" type="file" accept="image/*" capture="environment"></label><span class="muted file-name"></span>` : ""}
        <div class="buttons"><button type="button" class="primary" data-go>${escapeHtml(actionLabel(action))}</button>
          <button type="button" data-cancel>${t("cancel")}</button></div>
        <p class="error" role="alert"></p></div>`;
      box.querySelector("input[type=file]")?.addEventListener("change", (ev) => {
        box.querySelector(".file-name").textContent = ev.target.files[0]?.name || "";
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
    const go = form.querySelector("[data-go]");
    go.disabled = true;
    try {
      const file = form.querySelector("[name=photos]")?.files[0];
      if (file) {
        const body = new FormData();
        if (reason) body.append("reason", reason);
        body.append("version", String(d.version));
        body.append("photos", await shrink(file), "photo.jpg");
        await api(`/tickets/${d.id}/actions/${action}`, { form: body });
      } else {
        await api(`/tickets/${d.id}/actions/${action}`, { json: { reason: reason || null, version: d.version, payload: {} } });
      }
      this.done = { action, case: d.case_number };
      box.innerHTML = "";
      await this.loadTasks();
      this.tasksRoot.insertAdjacentHTML("afterbegin",
        `<div class="card ok-card" data-done="${action}">${t("m.task.done", { action: actionLabel(action), case: escapeHtml(d.case_number) })}</div>`);
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
