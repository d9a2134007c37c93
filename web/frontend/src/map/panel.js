// The case panel: photos, position and cell, routing decisions with their reasons, SLA timers, the
// timeline, and the acts the lifecycle allows this user now (buttons from allowed_actions). Acts that need
// more than a click get a small form: dispatch with the suggested department preselected, hours for an
// extension, the target of a merge, a message for an urge, a reason where the lifecycle table asks one.
import { actorText, api, contactText, escapeHtml, eventNote, isStale, lightText, PUBLIC_SOURCES, publicNote,
  remainingText, routingReason, when } from "../common/api.js";
import { askDiscard, fieldValues, hasDraft, restoreFields } from "../common/draft.js";
import { extensionHoursProblem } from "../common/extension.js";
import { actionLabel, statusLabel, t } from "../i18n/index.js";
import { metres } from "./data.js";

const PRIMARY = new Set(["dispatch", "register", "approve_return", "approve_extension", "approve_suspension",
  "approve_void", "close", "resume"]);
const DANGER = new Set(["reject", "request_void", "approve_void"]);

export class CasePanel {
  /** ctx: {root, categoryName(code), departments: [{code,name,name_en}],
   *  lifecycle: {action: [its rows of GET /lifecycle, in order]},
   *  publicNotes: Set of the acts whose note the reporter reads, areaName(code), nearbyCases(case) → cases, onChanged(detail), onClose()} */
  constructor(ctx) {
    this.ctx = ctx;
    this.detail = null;
    this.form = null;
    this.opening = 0; // the latest open(): a slower answer for a case clicked before it is dropped
  }

  get id() { return this.detail?.id ?? null; }

  get editing() { return Boolean(this.form); }

  /** An act's form is open with something typed or chosen in it. */
  get drafted() { return this.editing && hasDraft(this.ctx.root.querySelector("#form form")); }

  /** Ask in the form whether to drop what was typed; ``then()`` once the user has dropped it. */
  askDiscard(then) {
    askDiscard(this.ctx.root.querySelector("#form form"), () => { this.form = null; then(); });
  }

  /** The case ``id`` in the panel; null when another case was opened before its answer came (that one shows). */
  async open(id) {
    const mine = ++this.opening;
    const root = this.ctx.root;
    if (this.detail && this.detail.id !== id) root.setAttribute("aria-busy", "true"); // the case shown, greyed out
    let detail;
    try {
      detail = await api(`/tickets/${id}`);
    } finally {
      if (mine === this.opening) root.removeAttribute("aria-busy");
    }
    if (mine !== this.opening) return null;
    this.form = null;
    this.detail = detail;
    this.render();
    return this.detail;
  }

  async reload() {
    if (!this.detail) return;
    if (this.editing) { this.stale = true; return; }
    const id = this.detail.id;
    const detail = await api(`/tickets/${id}`);
    // the user may have opened a form or another case while the request was out: keep what they are doing
    if (this.editing) { this.stale = true; return; }
    if (this.detail?.id !== id) return;
    this.stale = false;
    this.detail = detail;
    this.render();
  }

  close() {
    this.detail = null;
    this.form = null;
    this.ctx.root.hidden = true;
    this.ctx.root.innerHTML = "";
    this.ctx.onClose?.();
  }

  deptName(code) {
    if (!code) return t("map.none");
    const d = this.ctx.departments.find((x) => x.code === code);
    if (!d) return code;
    return document.documentElement.lang === "en" ? (d.name_en || d.name) : d.name;
  }

  render() {
    const d = this.detail;
    const root = this.ctx.root;
    if (!d) { root.hidden = true; return; }
    root.hidden = false;
    const typed = this.form ? fieldValues(root.querySelector("#form form")) : null; // drawn again (a language switch) as typed
    const head = d.sla;
    const area = [d.district_code, d.street_code, d.community_code].map((c) => this.ctx.areaName(c)).filter(Boolean).join(" · ");
    const timers = d.timers.filter((x) => x.active || x.fulfilled_at).map((x) => `
      <li><span class="light ${x.light}"></span> <b>${escapeHtml(t(`stage.${x.stage}`))}</b>
        · ${t("map.panel.due")} ${when(x.due_at)}
        · ${x.active ? `${escapeHtml(remainingText(x.remaining_s, x))}${x.paused ? ` (${t("map.panel.paused")})` : ""}`
    : (x.on_time ? t("map.panel.on_time") : t("map.panel.late"))}</li>`).join("");
    const routing = d.routing.length ? d.routing.map((r) => `
      <li>${when(r.decided_at)} · <b>${escapeHtml(this.deptName(r.department_code))}</b> · ${escapeHtml(routingReason(r, (c) => this.deptName(c)))}</li>`).join("")
      : `<li class="muted">${t("map.panel.no_routing")}</li>`;
    root.innerHTML = `
      <div class="panel-head">
        <div>
          <h2 class="panel-case" data-case="${escapeHtml(d.case_number)}">${escapeHtml(d.case_number)}</h2>
          <div class="chips">
            <span class="chip status" data-status="${d.status}">${escapeHtml(statusLabel(d.status))}</span>
            ${head ? `<span class="chip light-${head.light}">${escapeHtml(lightText(head))}</span>` : ""}
            <span class="chip">${escapeHtml(this.ctx.categoryName(d.category_code))}</span>
            <span class="chip urgency-${d.urgency}">${escapeHtml(t(`urgency.${d.urgency}`))}</span>
          </div>
        </div>
        <div class="panel-tools">
          <a class="button panel-sheet" href="/cases/${d.id}/sheet" target="_blank" rel="noopener">${t("map.panel.sheet")}</a>
          <button class="panel-close" data-close title="${t("map.panel.close")}">✕</button>
        </div>
      </div>
      <div class="panel-actions" id="actions">${d.allowed_actions.length ? d.allowed_actions.map((a) =>
    `<button data-action="${a}" class="${PRIMARY.has(a) ? "primary" : DANGER.has(a) ? "danger" : ""}">${escapeHtml(actionLabel(a))}</button>`).join("")
    : `<span class="muted">${t("map.panel.no_actions")}</span>`}</div>
      <div id="form"></div>
      <dl class="facts">
        <dt>${t("map.panel.department")}</dt><dd data-department="${d.department_code || ""}">${escapeHtml(this.deptName(d.department_code))}</dd>
        <dt>${t("map.panel.suggested")}</dt><dd>${escapeHtml(this.deptName(d.suggested_department_code))}</dd>
        <dt>${t("map.panel.position")}</dt><dd>${escapeHtml(d.address || "")} ${d.lng.toFixed(6)}, ${d.lat.toFixed(6)}</dd>
        <dt>${t("map.panel.cell")}</dt><dd>${escapeHtml(d.cell_code)}<br><span class="muted">${escapeHtml(area)}</span></dd>
        ${d.contact ? `<dt>${t("contact.title")}</dt><dd class="contact">${escapeHtml(contactText(d.contact))}</dd>` : ""}
      </dl>
      <h3>${t("map.panel.description")}</h3>
      <p class="description">${escapeHtml(d.description)}${d.support_count ? ` <span class="muted">(${t("map.panel.support", { n: d.support_count })})</span>` : ""}</p>
      <h3>${t("map.panel.photos")}</h3>
      <div class="photos">${d.photos.length ? d.photos.map((p) => `<a href="${p.url}" target="_blank" rel="noopener"><img src="${p.url}" alt="${escapeHtml(t(`photo.${p.stage}`))}" loading="lazy"></a>`).join("")
    : `<span class="muted">${t("map.panel.no_photos")}</span>`}</div>
      <h3>${t("map.panel.routing")}</h3><ul class="plain">${routing}</ul>
      <h3>${t("map.panel.timers")}</h3><ul class="plain">${timers || `<li class="muted">${t("map.none")}</li>`}</ul>
      <h3>${t("map.panel.timeline")}</h3>
      <ul class="plain timeline">${d.timeline.map((e) => `<li>${when(e.at)} · <b>${escapeHtml(actionLabel(e.action))}</b>
        · ${escapeHtml(actorText(e))}${e.to_status && e.to_status !== e.from_status ? ` → ${escapeHtml(statusLabel(e.to_status))}` : ""}${eventNote(e, (c) => this.deptName(c)) ? ` · ${escapeHtml(eventNote(e, (c) => this.deptName(c)))}` : ""}</li>`).join("")}</ul>`;
    root.querySelector("[data-close]").addEventListener("click", () => {
      if (this.drafted) this.askDiscard(() => this.close()); else this.close();
    });
    root.querySelectorAll("#actions button[data-action]").forEach((b) => b.addEventListener("click", () => this.start(b.dataset.action)));
    if (this.form) {
      this.start(this.form);
      restoreFields(root.querySelector("#form form"), typed);
    }
  }

  /** Whether the act needs a reason with this payload: of the action's rows in the lifecycle table (GET
   * /lifecycle), the first whose ``when`` holds for the payload says (a special close needs one, a normal not). */
  reasonNeeded(action, payload) {
    const rows = this.ctx.lifecycle[action] || [];
    const row = rows.find((r) => !r.when || Object.entries(r.when).every(([field, values]) => values.includes(payload[field])));
    return Boolean(row?.needs_reason);
  }

  requestedHours() {
    const last = [...this.detail.timeline].reverse().find((e) => e.action === "request_extension");
    return last?.payload?.hours ?? 8;
  }

  start(action) {
    const d = this.detail;
    this.form = action;
    const box = this.ctx.root.querySelector("#form");
    let fields = "";
    if (action === "dispatch") {
      const suggested = d.suggested_department_code;
      fields += `<label for="f-dept">${t("map.form.department")}</label><select id="f-dept" name="department_code">
        ${this.ctx.departments.map((x) => `<option value="${escapeHtml(x.code)}" ${x.code === suggested ? "selected" : ""}>${escapeHtml(this.deptName(x.code))}${x.code === suggested ? t("map.form.suggested") : ""}</option>`).join("")}
      </select>`;
    } else if (action === "approve_extension") {
      fields += `<label for="f-hours">${t("map.form.hours")}</label><input id="f-hours" name="hours" type="number" step="any" value="${this.requestedHours()}">`;
    } else if (action === "merge") {
      const near = this.ctx.nearbyCases(d);
      fields += `<label for="f-into">${t("map.form.into")}</label><input id="f-into" name="into" list="f-into-list" autocomplete="off" required>
        <datalist id="f-into-list">${near.map((c) => `<option value="${escapeHtml(c.case_number)}">${Math.round(metres(d, c))} m · ${escapeHtml(statusLabel(c.status))}</option>`).join("")}</datalist>
        ${near.length ? `<p class="muted hint">${t("map.form.into_hint")}: ${near.slice(0, 4).map((c) => `<a href="#" data-into="${escapeHtml(c.case_number)}">${escapeHtml(c.case_number)}</a> (${Math.round(metres(d, c))} m)`).join(", ")}</p>` : ""}`;
    } else if (action === "close") {
      fields += `<label for="f-close">${t("map.form.close_type")}</label><select id="f-close" name="close_type">
        <option value="normal">${t("map.form.close_normal")}</option><option value="special">${t("map.form.close_special")}</option></select>`;
    }
    // a citizen's or caller's case: what is written with reject, reopen, explain … is on their tracking page
    const shown = publicNote(Boolean(this.ctx.publicNotes?.has(action)) && PUBLIC_SOURCES.includes(d.source), "f-reason-public");
    fields += `<label for="f-reason"><span class="reason-label"></span>${shown.badge}</label>${shown.hint}<textarea id="f-reason" name="reason" rows="2"${shown.describedBy}></textarea>`;
    box.innerHTML = `<form class="act-form" data-form="${action}">
        <h3>${escapeHtml(actionLabel(action))} · ${escapeHtml(d.case_number)}</h3>${fields}
        <div class="form-buttons"><button type="submit" class="primary" data-go>${t("confirm")}</button>
        <button type="button" data-cancel>${t("cancel")}</button></div>
        <p class="error" role="alert"></p></form>`;
    const form = box.querySelector("form");
    form.querySelectorAll("[data-into]").forEach((a) => a.addEventListener("click", (e) => {
      e.preventDefault();
      form.querySelector("[name=into]").value = a.dataset.into;
    }));
    form.querySelector("[data-cancel]").addEventListener("click", () => {
      this.form = null;
      box.innerHTML = "";
      if (this.stale) this.reload();
    });
    const get = (n) => form.querySelector(`[name=${n}]`);
    const payloadOf = () => {
      const payload = {};
      if (get("department_code")) payload.department_code = get("department_code").value;
      if (get("hours")) payload.hours = Number(get("hours").value);
      if (get("into")) payload.into = get("into").value.trim();
      if (get("close_type")) payload.close_type = get("close_type").value;
      return payload;
    };
    // whether a reason is needed can depend on the payload (a special close needs one): asked again on a change
    const reasonRule = () => {
      const needed = this.reasonNeeded(action, payloadOf());
      get("reason").required = needed;
      form.querySelector(".reason-label").textContent = action === "urge" ? t("map.form.message")
        : needed ? t("reason") : t("map.form.reason_optional");
    };
    reasonRule();
    form.addEventListener("change", reasonRule);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      // the hours are checked here, not by min/max on the field: the browser's bubble would not say the limit
      const problem = get("hours") ? extensionHoursProblem(get("hours").value) : "";
      if (problem) {
        form.querySelector(".error").textContent = problem;
        get("hours").focus();
        return;
      }
      this.send(action, get("reason").value.trim(), payloadOf(), form.querySelector(".error"), form.querySelector("[data-go]"));
    });
    (form.querySelector("select, input, textarea"))?.focus();
  }

  async send(action, reason, payload, errorBox, button) {
    const d = this.detail;
    button.disabled = true;
    try {
      const detail = await api(`/tickets/${d.id}/actions/${action}`, { json: { reason: reason || null, version: d.version, payload } });
      this.form = null;
      this.detail = detail;
      this.render();
      this.ctx.onChanged?.(detail);
    } catch (err) {
      errorBox.textContent = err.message;
      button.disabled = false;
      if (isStale(err)) { // keep what was typed; the next confirm goes with the new version
        this.detail = await api(`/tickets/${d.id}`).catch(() => this.detail);
        this.stale = true;
        errorBox.textContent = t("error.changed", { status: statusLabel(this.detail.status) });
      }
    }
  }
}
