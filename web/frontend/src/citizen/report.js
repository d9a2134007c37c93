// The report form: where (see where.js), what (the public categories as big buttons), what happened, up to
// three photos, an optional name and number, 保密; open cases of the same kind nearby ("是否是以下问题之一？")
// with 就是这个, which adds a support instead of a new case; then the case number and the private link.
import { shrink } from "../common/shrink.js";
import { clientId, publicApi } from "./api.js";
import { forget, mineHtml, remember } from "./mine.js";
import { WHERE_HTML, Where } from "./where.js";
import { applyI18n, escapeHtml, named, publicStatus, t } from "./words.js";

const MAX_PHOTOS = 3;
const MAX_DESCRIPTION = 2000;

/** A phone number as the service takes it (dispatch.privacy.normalize_phone): none, a mobile of 11 digits
 * (+86 or 0086 before it allowed), or a landline of 7 to 15 digits with its area code; spaces, dashes and
 * brackets ignored, full-width digits read as digits. The page says so before sending, next to the field. */
export function phoneOk(value) {
  let text = value.replace(/[０-９＋]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0))
    .replace(/[\s\-()（）]/g, "");
  if (!text) return true;
  if (text.startsWith("+86")) text = text.slice(3);
  else if (text.startsWith("0086")) text = text.slice(4);
  if (!/^[0-9]{7,15}$/.test(text)) return false;
  return text[0] !== "1" || (text.length === 11 && !"012".includes(text[1]));
}

const TEMPLATE = `
  <p class="intro" data-i18n="c.intro"></p>
  <div id="mine-box"></div>
  <section class="step" id="step-where" aria-labelledby="h-where">
    <h2 id="h-where"><span class="num" aria-hidden="true">1</span><span data-i18n="c.where"></span></h2>
    ${WHERE_HTML}
  </section>
  <section class="step" id="step-what" aria-labelledby="h-what">
    <h2 id="h-what"><span class="num" aria-hidden="true">2</span><span data-i18n="c.what"></span></h2>
    <input id="category-filter" type="search" autocomplete="off" aria-labelledby="h-what"
      data-i18n-placeholder="c.what.filter" data-i18n-aria-label="c.what.filter">
    <div id="categories" class="choices" role="group" aria-labelledby="h-what"></div>
    <p id="categories-none" class="muted" hidden data-i18n="c.what.no_match"></p>
  </section>
  <section id="nearby" class="nearby" hidden aria-live="polite"></section>
  <section class="step" id="step-tell" aria-labelledby="h-tell">
    <h2 id="h-tell"><span class="num" aria-hidden="true">3</span><span data-i18n="c.description"></span></h2>
    <textarea id="description" aria-labelledby="h-tell" rows="4" maxlength="${MAX_DESCRIPTION}" data-i18n-placeholder="c.description.placeholder"></textarea>
    <div class="counter" id="counter"></div>
    <p class="label" id="photos-title"></p>
    <label class="button add-photo" id="add-photo"><span data-i18n="c.photos.add"></span>
      <input id="photos" class="file" type="file" accept="image/*" multiple aria-describedby="photos-title"></label>
    <div id="thumbs" class="thumbs"></div>
    <p class="muted" id="photo-note" aria-live="polite"></p>
  </section>
  <section class="step" id="step-contact" aria-labelledby="h-contact">
    <h2 id="h-contact"><span class="num" aria-hidden="true">4</span><span data-i18n="c.contact"></span></h2>
    <p class="hint" data-i18n="c.contact.hint"></p>
    <label for="contact-name" data-i18n="c.contact.name"></label>
    <input id="contact-name" name="contact_name" autocomplete="name" maxlength="50">
    <label for="contact-phone" data-i18n="c.contact.phone"></label>
    <input id="contact-phone" name="contact_phone" type="tel" inputmode="tel" autocomplete="tel" maxlength="20"
      aria-describedby="phone-error">
    <p id="phone-error" class="field-error" hidden></p>
    <label class="check"><input id="confidential" type="checkbox"> <span data-i18n="c.confidential"></span></label>
  </section>
  <div class="hp" aria-hidden="true" inert>
    <label for="c-leave-empty" data-i18n="c.honeypot"></label>
    <input id="c-leave-empty" name="leave_empty" type="text" tabindex="-1" autocomplete="off" aria-hidden="true">
  </div>
  <div class="submit-bar">
    <p id="missing" class="missing"></p>
    <button type="button" id="submit" class="primary big" data-i18n="c.submit"></button>
  </div>
  <div id="error" role="alert"></div>`;

export class ReportPage {
  constructor(root) {
    this.root = root;
    this.categories = [];
    this.category = null;
    this.photos = [];  // {blob, name, url}
    this.nearby = [];
    this.loc = { status: "none" };
    this.busy = false;
    this.result = null;
    this.phoneChecked = false;  // the phone number is checked once the citizen leaves the field (or sends)
    this.$ = (sel) => root.querySelector(sel);
    root.innerHTML = TEMPLATE;
    this.where = new Where(this.$("#step-where"), { onChange: (loc) => this.placeChanged(loc) });
    this.wire();
  }

  async load() {
    try {
      this.categories = await publicApi("/categories");
    } catch (err) {
      this.showError(err);
    }
    this.render();
  }

  wire() {
    this.$("#categories").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-code]");
      if (!b) return;
      this.category = b.dataset.code;
      this.render();
      this.loadNearby();
    });
    this.$("#category-filter").addEventListener("input", () => this.filterCategories());
    this.$("#description").addEventListener("input", () => this.renderSubmit());
    this.$("#contact-phone").addEventListener("change", () => { this.phoneChecked = true; this.renderSubmit(); });
    this.$("#contact-phone").addEventListener("input", () => { if (this.phoneChecked) this.renderSubmit(); });
    this.$("#photos").addEventListener("change", async (e) => { await this.addPhotos([...e.target.files]); e.target.value = ""; });
    this.$("#thumbs").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-remove]");
      if (!b) return;
      const [gone] = this.photos.splice(Number(b.dataset.remove), 1);
      URL.revokeObjectURL(gone.url);
      this.renderPhotos();
      this.$("#add-photo").focus?.();
    });
    this.$("#nearby").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-support]");
      if (b) this.support(b.dataset.support);
    });
    this.$("#submit").addEventListener("click", () => this.submit());
    this.$("#mine-box").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-forget]");
      if (b) this.forget(b.dataset.forget);
    });
  }

  /** 我的反映: this phone's earlier reports; the list stays open while entries are removed from it. */
  renderMine(open = false) {
    const box = this.$("#mine-box");
    if (!box) return;
    const wasOpen = open || Boolean(box.querySelector("details[open]"));
    box.innerHTML = mineHtml();
    if (wasOpen) box.querySelector("details")?.setAttribute("open", "");
  }

  forget(caseNumber) {
    const buttons = [...this.$("#mine-box").querySelectorAll("button[data-forget]")];
    const at = buttons.findIndex((b) => b.dataset.forget === caseNumber);
    forget(caseNumber);
    this.renderMine(true);
    const left = [...this.$("#mine-box").querySelectorAll("button[data-forget]")];
    const next = left[Math.min(at, left.length - 1)];
    if (next) {
      next.focus();
      this.$("#mine-note").textContent = t("c.mine.removed", { case: caseNumber });
    } else {
      this.$("#use-gps").focus();  // the list is gone with its last entry
    }
  }

  placeChanged(loc) {
    const moved = loc.lng !== this.loc.lng || loc.lat !== this.loc.lat || loc.status !== this.loc.status;
    this.loc = loc;
    if (moved) this.loadNearby();
    this.renderSubmit();
  }

  async addPhotos(chosen) {
    const note = this.$("#photo-note");
    const files = chosen.filter((f) => !f.type || f.type.startsWith("image/"));  // the service takes only photos
    const room = MAX_PHOTOS - this.photos.length;
    const refusal = files.length < chosen.length ? t("c.error.not_an_image")
      : files.length > room ? t("c.photos.full", { max: MAX_PHOTOS }) : "";
    note.textContent = refusal || t("c.photos.working");
    for (const file of files.slice(0, Math.max(room, 0))) {
      const blob = await shrink(file);
      const name = blob === file ? file.name : `photo-${this.photos.length + 1}.jpg`;
      this.photos.push({ blob, name, url: URL.createObjectURL(blob) });
    }
    note.textContent = refusal;
    this.renderPhotos();
  }

  /** Open cases of the chosen category near the place: asked again whenever either changes, the last ask wins. */
  async loadNearby() {
    this.nearby = [];
    const { lng, lat, status } = this.loc;
    const asked = status === "ok" && this.category ? `${lng},${lat},${this.category}` : null;
    this.nearbyAsked = asked;
    this.renderNearby();
    if (!asked) return;
    let items = [];
    try {
      items = (await publicApi("/nearby", { query: { lat, lng, category_code: this.category, crs: "wgs84" } })).items || [];
    } catch { /* only a hint: the report may go without it */ }
    if (this.nearbyAsked !== asked || this.result) return;
    this.nearby = items;
    this.renderNearby();
    // the citizen has just tapped a category in a long list: bring the question into sight
    if (items.length) this.$("#nearby").scrollIntoView?.({ block: "nearest" });
  }


  categoryName(code) {
    const c = this.categories.find((x) => x.code === code);
    return c ? named(c.name, c.name_en) : code;
  }

  /** What keeps the report from going, all of it at once (keys of the words). */
  missing() {
    const missing = [];
    if (this.loc.status === "outside") missing.push("c.missing.outside");
    else if (this.loc.status !== "ok") missing.push("c.missing.where");
    if (!this.category) missing.push("c.missing.category");
    if (!this.$("#description").value.trim()) missing.push("c.missing.description");
    if (this.phoneChecked && !phoneOk(this.$("#contact-phone").value)) missing.push("c.missing.phone");
    return missing;
  }

  render() {
    if (this.result) return;
    applyI18n(this.root);
    this.renderMine();
    this.where.render();
    this.where.map?.relabel(t);
    const cats = this.$("#categories");
    cats.innerHTML = this.categories.length
      ? this.categories.map((c) => `<button type="button" class="choice ${c.code === this.category ? "on" : ""}"
          data-code="${escapeHtml(c.code)}" aria-pressed="${c.code === this.category}">${escapeHtml(named(c.name, c.name_en))}</button>`).join("")
      : `<p class="muted">${t("c.what.none")}</p>`;
    this.filterCategories();
    this.$("#photos-title").textContent = t("c.photos", { max: MAX_PHOTOS });
    this.renderPhotos();
    this.renderNearby();
    this.renderSubmit();
    if (this.error) this.showError(this.error, { scroll: false });
  }

  /** Only the categories whose name (in either language) holds the typed words; the chosen one stays. */
  filterCategories() {
    const words = this.$("#category-filter").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const b of this.$("#categories").querySelectorAll("button[data-code]")) {
      const c = this.categories.find((x) => x.code === b.dataset.code);
      const text = `${c.name} ${c.name_en}`.toLowerCase();
      b.hidden = b.dataset.code !== this.category && !words.every((w) => text.includes(w));
      if (!b.hidden) shown += 1;
    }
    this.$("#categories-none").hidden = shown > 0 || !this.categories.length;
  }

  renderPhotos() {
    this.$("#thumbs").innerHTML = this.photos.map((p, i) => `<figure>
      <img src="${p.url}" alt="${escapeHtml(t("c.photos.alt", { n: i + 1 }))}">
      <button type="button" data-remove="${i}" aria-label="${escapeHtml(t("c.photos.remove", { n: i + 1 }))}">×</button></figure>`).join("");
    const full = this.photos.length >= MAX_PHOTOS;
    this.$("#photos").disabled = full;
    this.$("#add-photo").classList.toggle("off", full);
  }

  renderNearby() {
    const box = this.$("#nearby");
    box.hidden = !this.nearby.length;
    if (!this.nearby.length) { box.innerHTML = ""; return; }
    box.innerHTML = `<h3>${t("c.nearby.title")}</h3><p class="hint">${t("c.nearby.hint")}</p>
      ${this.nearby.map((c) => `<div class="dup" data-case="${escapeHtml(c.case_number)}">
        <span>${escapeHtml(t("c.nearby.item", { category: this.categoryName(c.category_code),
          status: publicStatus(c.public_status), m: Math.round(c.distance_m) }))}</span>
        <button type="button" data-support="${escapeHtml(c.case_number)}">${t("c.nearby.same")}</button></div>`).join("")}`;
  }

  renderSubmit() {
    const missing = this.missing();
    const count = this.$("#description").value.length;
    this.$("#counter").textContent = t("c.description.count", { n: count, max: MAX_DESCRIPTION });
    const note = this.$("#missing");
    note.innerHTML = this.busy ? escapeHtml(t("c.sending")) : missing.map((k) => `<span>${escapeHtml(t(k))}</span>`).join("<br>");
    note.classList.toggle("bad", missing.includes("c.missing.outside"));
    const phoneBad = missing.includes("c.missing.phone");
    const phone = this.$("#contact-phone");
    phone.setAttribute("aria-invalid", String(phoneBad));
    this.$("#phone-error").hidden = !phoneBad;
    this.$("#phone-error").textContent = phoneBad ? t("c.error.invalid_phone") : "";
    this.$("#submit").disabled = missing.length > 0 || this.busy;
  }

  /** The last refusal (kept, so that a language switch says it again in the other language), in sight. */
  showError(err, { scroll = true } = {}) {
    this.error = err;
    const box = this.$("#error");
    box.innerHTML = err
      ? `<div class="card error-card" data-code="${escapeHtml(err.code || "")}">${escapeHtml(err.text ? err.text() : String(err))}</div>`
      : "";
    if (err && scroll) box.scrollIntoView?.({ block: "nearest" });
  }

  async submit() {
    this.phoneChecked = true;
    if (this.missing().length || this.busy) {
      this.renderSubmit();
      if (this.missing().includes("c.missing.phone")) this.$("#contact-phone").focus();
      return;
    }
    this.busy = true;
    this.showError(null);
    this.renderSubmit();
    const form = new FormData();
    const fields = {
      lat: this.loc.lat, lng: this.loc.lng, crs: "wgs84", category_code: this.category,
      description: this.$("#description").value.trim(), address: this.loc.address || "",
      contact_name: this.$("#contact-name").value.trim(), contact_phone: this.$("#contact-phone").value.trim(),
      confidential: this.$("#confidential").checked ? "true" : "false", client_id: clientId(),
      website: this.$("#c-leave-empty").value,  // the honeypot (the API's name; not the input's, see .hp)
    };
    for (const [k, v] of Object.entries(fields)) form.append(k, String(v));
    for (const p of this.photos) form.append("photos", p.blob, p.name);
    try {
      const r = await publicApi("/reports", { form });
      this.done({ kind: "filed", ...r });
    } catch (err) {
      this.showError(err);
      if (err.code === "invalid_phone") this.$("#contact-phone").focus();
    } finally {
      this.busy = false;
      if (!this.result) this.renderSubmit();
    }
  }

  async support(caseNumber) {
    this.showError(null);
    try {
      const r = await publicApi(`/cases/${encodeURIComponent(caseNumber)}/support`, {
        json: { contact_phone: this.$("#contact-phone").value.trim() || null, client_id: clientId() } });
      this.done({ kind: "supported", ...r });
    } catch (err) {
      this.showError(err);
    }
  }

  done(result) {
    this.result = result;
    remember(result.kind === "filed"
      ? { case_number: result.case_number, url: result.tracking_url, status: result.public_status }
      : { case_number: result.case_number, url: null });
    for (const p of this.photos) URL.revokeObjectURL(p.url);
    this.renderResult();
    window.scrollTo(0, 0);
  }

  renderResult() {
    const r = this.result;
    if (r.kind === "supported") {
      this.root.innerHTML = `<section class="card ok-card" data-result="supported">
        <p class="big-text">${escapeHtml(t("c.nearby.supported", { case: r.case_number }))}</p>
        <a class="button" href="/c/">${t("c.done.again")}</a></section>`;
      return;
    }
    const link = new URL(r.tracking_url, location.origin).href;
    this.root.innerHTML = `<section class="card ok-card" data-result="filed" aria-labelledby="done-title">
      <h2 id="done-title">✓ ${t("c.done.title")}</h2>
      <p>${t("c.done.number")}</p>
      <p class="case-number" id="case-number">${escapeHtml(r.case_number)}</p>
      <label for="tracking-link">${t("c.done.link")}</label>
      <textarea id="tracking-link" class="link" readonly rows="3">${escapeHtml(link)}</textarea>
      <button type="button" id="copy-link">${t("c.done.copy")}</button>
      <p id="copy-note" class="muted" aria-live="polite"></p>
      <p class="keep">${t("c.done.keep")}</p>
      <div class="buttons">
        <a class="button primary" id="open-link" href="${escapeHtml(r.tracking_url)}">${t("c.done.open")}</a>
        <a class="button" href="/c/">${t("c.done.again")}</a>
      </div></section>`;
    this.$("#copy-link").addEventListener("click", () => this.copy(link));
  }

  async copy(link) {
    const note = this.$("#copy-note");
    try {
      await navigator.clipboard.writeText(link);
      note.textContent = t("c.done.copied");
    } catch {
      const input = this.$("#tracking-link");
      input.select();
      // eslint-disable-next-line no-restricted-syntax
      note.textContent = document.execCommand?.("copy") ? t("c.done.copied") : t("c.done.copy_failed");
    }
  }

  relabel() {
    if (this.result) this.renderResult();
    else this.render();
  }
}
