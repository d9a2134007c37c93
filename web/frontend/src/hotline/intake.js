// Intake (受理): who calls (name, number, 保密), their number's earlier cases (a repeat call becomes a
// "same problem" or a note on the case it is about, not a new case), where (address or map), what (category,
// urgency, description). Filing is POST /reports with source "hotline" and the caller's contact.
import { api, errorText, escapeHtml, when } from "../common/api.js";
import { statusLabel, t } from "../i18n/index.js";
import { PlacePicker } from "./where.js";

const URGENCIES = ["normal", "urgent", "critical"];

/** The number as the API takes it (digits only, without +86 / 0086), or "" when the server would refuse it:
 * the same rules as dispatch/privacy.py normalize_phone (spaces, dashes and brackets are dropped; 7 to 15 digits;
 * a mobile has 11 and does not start 10, 11 or 12). */
export function normalPhone(text) {
  const digits = String(text || "").replace(/[\s\-()（）]/g, "").replace(/^(\+86|0086)/, "");
  if (!/^\d{7,15}$/.test(digits)) return "";
  if (digits[0] === "1" && (digits.length !== 11 || "012".includes(digits[1]))) return "";
  return digits;
}

/** A whole number worth looking up: a mobile number, or a landline with its area code. */
const complete = (p) => /^1\d{10}$/.test(p) || /^0\d{9,11}$/.test(p);

/** The start of a case's description: enough for the operator to tell which case the caller means. */
export function snippet(text, size = 40) {
  const one = String(text || "").replace(/\s+/g, " ").trim();
  return one.length > size ? `${one.slice(0, size)}…` : one;
}

function newKey() {
  return `hotline-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export class Intake {
  /** ``supportable``: the states a "same problem" may be recorded in (the lifecycle table's, GET /lifecycle). */
  constructor(root, { categories, categoryName, supportable }) {
    this.root = root;
    this.supportable = supportable;
    this.categories = categories;
    this.categoryName = categoryName;
    this.history = null;   // {phone, total, items} of the number typed, or null
    this.notes = new Map(); // case id → {ok, text()}: what came of an act on it, shown under it
    this.result = null;    // {ok, text} of the last filing
    this.key = newKey();
    this.busy = false;
    root.innerHTML = `
      <div class="result" id="result" role="status" aria-live="polite"></div>
      <form class="intake" id="intake" novalidate>
        <fieldset class="caller">
          <legend data-i18n="hotline.caller"></legend>
          <label for="caller-phone" data-i18n="hotline.caller_phone"></label>
          <input id="caller-phone" name="phone" type="tel" inputmode="tel" autocomplete="off" maxlength="20" required
            aria-describedby="phone-hint phone-error">
          <p class="hint" id="phone-hint" data-i18n="hotline.phone_hint"></p>
          <p class="field-error" id="phone-error"></p>
          <label for="caller-name" data-i18n="hotline.caller_name"></label>
          <input id="caller-name" name="name" type="text" autocomplete="off" maxlength="64">
          <label class="check"><input id="confidential" name="confidential" type="checkbox">
            <span data-i18n="hotline.confidential"></span></label>
          <section class="history" aria-labelledby="history-title">
            <h2 id="history-title" data-i18n="hotline.history"></h2>
            <div id="history" aria-live="polite"></div>
          </section>
        </fieldset>
        <fieldset class="where">
          <legend data-i18n="hotline.where"></legend>
          <div id="place"></div>
        </fieldset>
        <fieldset class="what">
          <legend data-i18n="hotline.what"></legend>
          <label for="category-filter" data-i18n="hotline.category_filter"></label>
          <input id="category-filter" type="search" autocomplete="off" maxlength="40" aria-describedby="category-filter-hint"
            aria-controls="category">
          <p class="hint" id="category-filter-hint" data-i18n="hotline.category_filter_hint"></p>
          <label for="category" data-i18n="hotline.category"></label>
          <select id="category" name="category" required></select>
          <label for="urgency" data-i18n="hotline.urgency"></label>
          <select id="urgency" name="urgency"></select>
          <label for="description" data-i18n="hotline.description"></label>
          <textarea id="description" name="description" rows="4" maxlength="2000" required></textarea>
          <p class="error" id="form-error" role="alert"></p>
          <div class="actions">
            <button type="submit" class="primary" id="submit" data-i18n="hotline.submit"></button>
            <button type="button" id="clear" data-i18n="hotline.clear"></button>
          </div>
        </fieldset>
      </form>`;
    this.form = root.querySelector("#intake");
    this.place = new PlacePicker(root.querySelector("#place"), () => this.error(""));
    this.drawCategories();
    this.drawUrgencies();
    const filter = root.querySelector("#category-filter");
    filter.addEventListener("input", () => this.drawCategories(filter.value));
    filter.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.ctrlKey && !ev.metaKey) { ev.preventDefault(); root.querySelector("#category").focus(); }
    });
    this.form.addEventListener("submit", (ev) => { ev.preventDefault(); this.submit(); });
    // Enter in a one-line field does not file the case (a half-taken call); the button or Ctrl+Enter does
    this.form.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.ctrlKey && !ev.metaKey && ev.target.tagName === "INPUT") ev.preventDefault();
    });
    root.querySelector("#clear").addEventListener("click", () => { this.clear(); this.result = null; this.drawResult(); });
    const phone = root.querySelector("#caller-phone");
    let timer = null;
    phone.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.lookUp(), 300);
    });
    root.querySelector("#history").addEventListener("click", (ev) => this.onHistoryClick(ev));
    this.drawHistory();
  }

  /** The tab is shown: the map takes its size, the keyboard starts at the number. */
  shown() {
    this.place.drawMap();
    if (!this.root.contains(document.activeElement)) this.root.querySelector("#caller-phone").focus();
  }

  redraw() {
    this.drawCategories(this.root.querySelector("#category-filter").value);
    this.drawUrgencies();
    this.drawHistory();
    this.drawResult();
    this.place.redraw();
  }

  drawCategories(filterText = "") {
    const select = this.root.querySelector("#category");
    const current = select.value;
    const q = filterText.trim().toLowerCase();
    const en = document.documentElement.lang === "en";
    const hits = this.categories.filter((c) => !q || [c.code, c.name, c.name_en, c.public_name, c.major_name, c.major_name_en]
      .some((s) => String(s || "").toLowerCase().includes(q)));
    const groups = new Map();
    for (const c of hits) {
      const key = c.major_code;
      if (!groups.has(key)) groups.set(key, { label: `${key} ${en ? c.major_name_en : c.major_name}`, items: [] });
      groups.get(key).items.push(c);
    }
    const keep = hits.some((c) => c.code === current);
    const chosen = keep ? current : (q && hits.length ? hits[0].code : "");
    select.innerHTML = `<option value="">${escapeHtml(t(hits.length ? "hotline.category_choose" : "hotline.category_none"))}</option>`
      + [...groups.values()].map((g) => `<optgroup label="${escapeHtml(g.label)}">${g.items.map((c) =>
        `<option value="${c.code}">${c.code} ${escapeHtml(this.categoryName(c.code))}</option>`).join("")}</optgroup>`).join("");
    select.value = chosen;
  }

  drawUrgencies() {
    const select = this.root.querySelector("#urgency");
    const current = select.value || "normal";
    select.innerHTML = URGENCIES.map((u) => `<option value="${u}">${escapeHtml(t(`urgency.${u}`))}</option>`).join("");
    select.value = current;
  }

  phone() { return normalPhone(this.root.querySelector("#caller-phone").value); }

  /** The number's earlier cases (GET /tickets?phone=), once a whole number is typed. */
  async lookUp() {
    const phone = this.phone();
    this.root.querySelector("#phone-error").textContent = "";
    if (!complete(phone)) {
      if (this.history) { this.history = null; this.drawHistory(); }
      return;
    }
    if (this.history?.phone === phone) return;
    this.history = { phone, loading: true, items: [], total: 0 };
    this.drawHistory();
    try {
      const page = await api("/tickets", { query: { phone, limit: 20 } });
      if (this.phone() !== phone) return;
      const items = [...page.items].sort((a, b) => b.created_at.localeCompare(a.created_at));
      this.history = { phone, items, total: page.total };
    } catch (err) {
      if (this.phone() !== phone) return;
      this.history = null;
      this.root.querySelector("#phone-error").textContent = err.message;
    }
    this.drawHistory();
  }

  drawHistory() {
    const box = this.root.querySelector("#history");
    const h = this.history;
    if (!h) { box.innerHTML = `<p class="hint">${escapeHtml(t("hotline.history_hint"))}</p>`; return; }
    if (h.loading) { box.innerHTML = `<p class="hint">${escapeHtml(t("hotline.history_loading"))}</p>`; return; }
    if (!h.items.length) { box.innerHTML = `<p class="hint" data-empty>${escapeHtml(t("hotline.history_none"))}</p>`; return; }
    // a redraw keeps the keyboard on the case it was on: the same button, else the case's note button
    const had = box.contains(document.activeElement) ? document.activeElement : null;
    const hadCase = had?.closest("li")?.dataset.id;
    const again = hadCase && [`[data-id="${hadCase}"] [data-act="${had.dataset.act}"]`, `[data-id="${hadCase}"] [data-act="note"]`];
    const typed = new Map([...box.querySelectorAll(".note textarea")].map((x) => [x.closest("li").dataset.id, x.value]));
    box.innerHTML = `<ul>${h.items.map((c) => {
      const note = this.notes.get(c.id);
      const open = typed.has(String(c.id));
      // the listed cases are the number's reports: a repeat call about one is recorded as a "same problem" (one
      // more 人次, once per number: the issue's rule) or a note
      const own = c.contact?.phone === h.phone;
      return `<li data-id="${c.id}" data-case="${escapeHtml(c.case_number)}">
        <span class="case">${escapeHtml(c.case_number)}</span> · ${escapeHtml(this.categoryName(c.category_code))}
        <span class="meta">${escapeHtml(statusLabel(c.status))} · ${escapeHtml(when(c.created_at))}</span>
        ${c.address ? `<span class="where">${escapeHtml(c.address)}</span>` : ""}
        <span class="what">${escapeHtml(snippet(c.description))}</span>
        ${own ? `<span class="own">${escapeHtml(t("hotline.own_case"))}</span>` : ""}
        <div class="buttons">
          ${!this.supportable.has(c.status) ? "" : `<button type="button" data-act="support">${escapeHtml(t("hotline.same_problem"))}</button>`}
          <button type="button" data-act="note" aria-expanded="${open}">${escapeHtml(t("hotline.add_note"))}</button>
        </div>
        ${open ? this.noteForm(c, typed.get(String(c.id))) : ""}
        ${note ? `<p class="${note.ok ? "done" : "failed"}">${escapeHtml(note.text())}</p>` : ""}
      </li>`;
    }).join("")}</ul>${h.total > h.items.length ? `<p class="hint">${escapeHtml(t("hotline.history_more", { n: h.total - h.items.length }))}</p>` : ""}`;
    if (again) (box.querySelector(again[0]) || box.querySelector(again[1]))?.focus();
  }

  noteForm(c, value = "") {
    return `<div class="note"><label for="note-${c.id}">${escapeHtml(t("hotline.note_label", { n: c.case_number }))}</label>
      <textarea id="note-${c.id}" rows="2" maxlength="2000">${escapeHtml(value)}</textarea>
      <div class="buttons"><button type="button" class="primary" data-act="send-note">${escapeHtml(t("hotline.note_send"))}</button>
      <button type="button" data-act="cancel-note">${escapeHtml(t("cancel"))}</button></div></div>`;
  }

  async onHistoryClick(ev) {
    const b = ev.target.closest("button[data-act]");
    if (!b) return;
    const li = b.closest("li");
    const id = Number(li.dataset.id);
    const number = li.dataset.case;
    const act = b.dataset.act;
    if (act === "note") {
      const open = li.querySelector(".note");
      if (open) { open.remove(); b.setAttribute("aria-expanded", "false"); return; }
      li.querySelector(".buttons").insertAdjacentHTML("afterend", this.noteForm({ id, case_number: number }));
      b.setAttribute("aria-expanded", "true");
      li.querySelector(".note textarea").focus();
      return;
    }
    if (act === "cancel-note") {
      li.querySelector(".note").remove();
      li.querySelector("[data-act=note]").setAttribute("aria-expanded", "false");
      li.querySelector("[data-act=note]").focus();
      return;
    }
    b.disabled = true;
    try {
      if (act === "support") {
        // each caller counts once: the support is the caller's number's, not the operator's
        const d = await api(`/tickets/${id}/actions/support`, { json: { payload: { contact_phone: this.phone() } } });
        this.notes.set(id, { ok: true, text: () => t("hotline.supported", { n: number, count: d.support_count }) });
        this.replace(d);
      } else if (act === "send-note") {
        const text = li.querySelector(".note textarea").value.trim();
        if (!text) { li.querySelector(".note textarea").focus(); b.disabled = false; return; }
        const d = await api(`/tickets/${id}/actions/comment`, { json: { reason: text } });
        li.querySelector(".note").remove();
        this.notes.set(id, { ok: true, text: () => t("hotline.noted", { n: number }) });
        this.replace(d);
      }
    } catch (err) {
      // the operator supports for the caller: "this number already reported it", not "you already did"
      const text = () => (err.body?.error === "already_supported" ? t("hotline.already_supported", { n: number })
        : errorText(err.status, err.body));
      this.notes.set(id, { ok: false, text });
    }
    b.disabled = false;
    this.drawHistory();
  }

  replace(detail) {
    if (!this.history) return;
    this.history.items = this.history.items.map((c) => (c.id === detail.id ? { ...c, ...detail } : c));
  }

  error(text) { this.root.querySelector("#form-error").textContent = text; }

  drawResult() {
    const box = this.root.querySelector("#result");
    const r = this.result;
    box.className = `result ${r ? (r.ok ? "ok" : "bad") : ""}`;
    if (!r) { box.innerHTML = ""; return; }
    const dupes = r.duplicates?.length ? `<br><span>${escapeHtml(t("hotline.filed_dupes",
      { n: r.duplicates.length, list: r.duplicates.map((d) => d.case_number).join(t("list.sep")) }))}</span>` : "";
    const number = `<span class="case-number" id="filed-number">${escapeHtml(r.caseNumber)}</span>`;
    // the caller's private tracking link, given this once: texted to the caller, who follows and rates there
    const link = r.trackingUrl ? `<br><span>${escapeHtml(t("hotline.tracking_link"))}</span>
      <input id="tracking-link" class="tracking-link" readonly value="${escapeHtml(location.origin + r.trackingUrl)}"
        aria-label="${escapeHtml(t("hotline.tracking_link"))}">
      <button type="button" id="copy-link">${escapeHtml(t("hotline.copy_link"))}</button>
      <span id="copy-done" role="status"></span>` : "";
    box.innerHTML = escapeHtml(t("hotline.filed", { n: "\u0001" })).replace("\u0001", number) + dupes + link;
    box.querySelector("#copy-link")?.addEventListener("click", async () => {
      const input = box.querySelector("#tracking-link");
      input.select();
      try {
        await navigator.clipboard.writeText(input.value);
        box.querySelector("#copy-done").textContent = t("hotline.copied");
      } catch {
        box.querySelector("#copy-done").textContent = t("hotline.copy_by_hand");  // (no clipboard: it is selected)
      }
    });
  }

  /** What is missing, as the field to go to and the words to say; null when the form can be sent. */
  missing() {
    const get = (id) => this.root.querySelector(id);
    if (!get("#caller-phone").value.trim()) return ["#caller-phone", "hotline.need.phone"];
    // filled but not a number (letters, 转 an extension …): the server's own words, not "fill in the number"
    if (!this.phone()) return ["#caller-phone", "error.invalid_phone"];
    if (!this.place.cell) return ["#address", "hotline.need.point"];
    // an address typed over the one the pin was put at: said once; sent again as it is, the operator's word
    // stands (a crossing, a landmark the gazetteer does not know)
    const pinned = this.place.mismatch;
    if (pinned && this.addressConfirmed !== `${this.place.address}@${pinned}`) {
      this.addressConfirmed = `${this.place.address}@${pinned}`;
      return ["#address", "hotline.need.address_match", { typed: this.place.address, name: pinned }];
    }
    if (!get("#category").value) return ["#category-filter", "hotline.need.category"];
    if (!get("#description").value.trim()) return ["#description", "hotline.need.description"];
    return null;
  }

  async submit() {
    if (this.busy) return;
    const gap = this.missing();
    if (gap) {
      this.error(t(gap[1], gap[2]));
      this.root.querySelector(gap[0]).focus();
      return;
    }
    this.error("");
    const get = (id) => this.root.querySelector(id);
    const body = {
      lat: this.place.point.lat, lng: this.place.point.lng, crs: "wgs84",
      category_code: get("#category").value, description: get("#description").value.trim(),
      urgency: get("#urgency").value, address: this.place.address, source: "hotline",
      contact_name: get("#caller-name").value.trim(), contact_phone: this.phone(),
      confidential: get("#confidential").checked,
    };
    this.busy = true;
    get("#submit").disabled = true;
    try {
      const out = await api("/reports", { json: body, headers: { "Idempotency-Key": this.key } });
      this.result = { ok: true, caseNumber: out.ticket.case_number, duplicates: out.duplicates || [],
        trackingUrl: out.tracking_url };
      this.key = newKey();
      this.clear();
      this.drawResult();
    } catch (err) {
      this.error(err.message);
      if (err.body?.field === "contact_phone" || err.body?.error === "invalid_phone") get("#caller-phone").focus();
    } finally {
      this.busy = false;
      get("#submit").disabled = false;
    }
  }

  /** An empty form for the next call, the keyboard back at the number. */
  clear() {
    this.form.reset();
    // the next call starts unchosen (no option is written "selected", so reset() cannot bring the last one back)
    this.root.querySelector("#category").value = "";
    this.root.querySelector("#urgency").value = "normal";
    this.history = null;
    this.addressConfirmed = null;
    this.notes.clear();
    this.error("");
    this.root.querySelector("#phone-error").textContent = "";
    this.drawCategories();
    this.drawUrgencies();
    this.drawHistory();
    this.place.clear();
    this.root.querySelector("#caller-phone").focus();
  }
}
