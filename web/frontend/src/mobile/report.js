// The report tab: 1 where (position, pin, cell), 2 what (category, urgency, description), 3 photos; open
// cases of the same category nearby with "this is the same problem"; submit, or queue when there is no
// signal. Every report carries an idempotency key made when the form is started, kept through retries.
import { ApiError, api, currentUser, escapeHtml } from "../common/api.js";
import { distance } from "../common/words.js";
import { applyI18n, statusLabel, t } from "../i18n/index.js";
import { CategoryPicker, categoryName, majorName } from "./category.js";
import { DraftKeeper } from "./draft.js";
import { SIGN_IN, newKey, save, remove, send } from "./outbox.js";
import { MAX_PHOTOS, photoPosition, readPhoto } from "./photos.js";
import { WhereMap } from "./where.js";

export const MAX_DESCRIPTION = 2000;  // the API's limit (DispatchOptions.max_description_chars)
const URGENCIES = ["normal", "urgent", "critical"];

/** "最近的网格 310101001001010，相距 950 米"; from 1 km on in kilometres ("相距约 1065 公里"). */
export function nearestText(code, metres) {
  const far = distance(metres);
  return t(far.km ? "m.where.nearest_km" : "m.where.nearest", { code, ...far });
}

const TEMPLATE = `
  <div id="draft-note" class="draft-note" role="status" hidden><span data-i18n="m.draft.restored"></span>
    <button type="button" id="draft-clear" data-i18n="m.draft.clear"></button></div>
  <section class="step" id="step-where">
    <h2><span class="num">1</span><span data-i18n="m.step.where"></span></h2>
    <div id="map" class="map"></div>
    <div id="place" class="place" aria-live="polite"></div>
    <div class="buttons">
      <button type="button" id="use-gps" data-i18n="m.where.use_gps"></button>
      <button type="button" id="use-photo" hidden data-i18n="m.where.use_photo"></button>
    </div>
    <p class="hint" data-i18n="m.where.hint"></p>
  </section>
  <section class="step" id="step-what">
    <h2><span class="num">2</span><span data-i18n="m.step.what"></span></h2>
    <div id="chosen" class="chosen" hidden></div>
    <div id="picker-box">
      <input id="category-search" type="search" autocomplete="off" data-i18n-placeholder="m.category.search">
      <div id="picker"></div>
    </div>
    <label data-i18n="m.urgency"></label>
    <div class="segs" id="urgency" role="radiogroup"></div>
    <label for="description" data-i18n="m.description"></label>
    <textarea id="description" rows="4" maxlength="${MAX_DESCRIPTION}" data-i18n-placeholder="m.description.placeholder"></textarea>
    <div class="counter muted" id="counter"></div>
  </section>
  <section class="step" id="step-photo">
    <h2><span class="num">3</span><span data-i18n="m.step.photo"></span></h2>
    <div class="buttons">
      <label class="button big" id="camera-button"><span data-i18n="m.photo.camera"></span>
        <input id="camera" class="file" type="file" accept="image/*" capture="environment" multiple></label>
      <label class="button big" id="gallery-button"><span data-i18n="m.photo.gallery"></span>
        <input id="gallery" class="file" type="file" accept="image/*" multiple></label>
    </div>
    <div id="thumbs" class="thumbs"></div>
    <p class="muted" id="photo-note" aria-live="polite"></p>
  </section>
  <section id="nearby" class="nearby" hidden aria-live="polite"></section>
  <div class="submit-bar">
    <p id="missing" class="missing"></p>
    <button type="button" id="submit" class="primary big" disabled></button>
  </div>
  <section id="result" aria-live="polite"></section>`;

export class ReportForm {
  constructor(root, { me, categories, seenCells = [], onQueued, onFiled }) {
    this.root = root;
    this.me = me;
    this.categories = categories;
    this.byCode = Object.fromEntries(categories.map((c) => [c.code, c]));
    this.onQueued = onQueued;
    this.onFiled = onFiled;
    this.fix = null;  // the last GPS fix
    this.seq = 0;
    root.innerHTML = TEMPLATE;
    this.$ = (sel) => root.querySelector(sel);
    this.reset({ keepPlace: false });
    this.map = new WhereMap(this.$("#map"), {
      ownCells: me.cell_codes,
      fetchCells: (query) => { seenCells.push(query); return api("/cells", { query }); },
      onPick: (lng, lat) => this.setPoint(lng, lat, { source: "map" }),
    });
    this.picker = new CategoryPicker(this.$("#picker"), categories, (code) => this.pickCategory(code));
    this.drafts = new DraftKeeper(this, me.username);
    this.wire();
    this.watchPosition();
    this.render();
  }

  reset({ keepPlace = true } = {}) {
    this.key = newKey();
    this.category = null;
    this.urgency = "normal";
    for (const p of this.photos || []) URL.revokeObjectURL(p.url);
    this.photos = [];  // {blob, name (the worker's own file name), gps, url}
    this.photoNote = "";
    this.nearby = [];
    this.restoredDraft = false;  // the note "restored" goes with the draft's fields
    if (!keepPlace) this.loc = { status: "none" };
    if (this.$("#description")) this.$("#description").value = "";
    if (this.$("#category-search")) this.$("#category-search").value = "";
    this.picker?.search("");
  }

  wire() {
    this.$("#use-gps").addEventListener("click", () => {
      if (this.fix) this.setPoint(this.fix.lng, this.fix.lat, { source: "gps", accuracy: this.fix.accuracy, fly: true });
      this.watchPosition();
    });
    this.$("#use-photo").addEventListener("click", () => {
      const p = this.photos.find((x) => x.gps);
      if (p) this.setPoint(p.gps.lng, p.gps.lat, { source: "photo", fly: true });
    });
    this.$("#category-search").addEventListener("input", (e) => this.picker.search(e.target.value));
    this.$("#urgency").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-urgency]");
      if (b) { this.urgency = b.dataset.urgency; this.render(); this.changed(); }
    });
    this.$("#description").addEventListener("input", () => { this.render(); this.changed(); });
    this.$("#draft-clear").addEventListener("click", () => this.clearDraft());
    for (const id of ["#camera", "#gallery"]) {
      this.$(id).addEventListener("change", async (e) => { await this.addPhotos([...e.target.files]); e.target.value = ""; });
    }
    this.$("#chosen").addEventListener("click", (e) => {
      if (e.target.closest("[data-change]")) {
        this.category = null;
        this.nearby = [];
        this.render();
        this.changed();
        this.$("#category-search").focus();
      }
    });
    this.$("#thumbs").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-remove]");
      if (!b) return;
      const [gone] = this.photos.splice(Number(b.dataset.remove), 1);
      URL.revokeObjectURL(gone.url);
      this.photoNote = "";
      this.render();
      this.changed();
    });
    this.$("#nearby").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-support]");
      if (b) this.support(Number(b.dataset.support), b);
    });
    this.$("#submit").addEventListener("click", () => this.submit());
  }

  // ---- the draft on the phone (draft.js) ----
  changed() { this.drafts.changed(); }

  /** Restore the worker's unsent report, if any (``queuedKeys``: reports already in the queue). */
  restoreDraft(queuedKeys) { return this.drafts.restore(queuedKeys); }

  /** 清除: the restored draft goes, the form starts again at the phone's position. */
  async clearDraft() {
    await this.drafts.discard();
    this.result = null;
    this.reset({ keepPlace: false });
    if (this.fix) this.setPoint(this.fix.lng, this.fix.lat, { source: "gps", accuracy: this.fix.accuracy, fly: true });
    else this.render();
  }

  // ---- where ----
  watchPosition() {
    if (!navigator.geolocation) { this.gpsError = "m.where.no_gps"; this.render(); return; }
    if (this.watch !== undefined) navigator.geolocation.clearWatch(this.watch);
    this.watch = navigator.geolocation.watchPosition((pos) => {
      const { longitude: lng, latitude: lat, accuracy } = pos.coords;
      const moved = !this.fix || Math.abs(this.fix.lng - lng) + Math.abs(this.fix.lat - lat) > 0.00003
        || Math.abs(this.fix.accuracy - accuracy) > 5;
      this.fix = { lng, lat, accuracy };
      this.gpsError = null;
      if (moved && (this.loc.status === "none" || this.loc.source === "gps")) {
        this.setPoint(lng, lat, { source: "gps", accuracy, fly: true });
      }
    }, (err) => {
      this.gpsError = err.code === 1 ? "m.where.denied" : "m.where.gps_failed";
      this.render();
    }, { enableHighAccuracy: true, maximumAge: 10_000, timeout: 20_000 });
  }

  async setPoint(lng, lat, { source, accuracy = null, fly = false }) {
    this.loc = { lng, lat, source, accuracy, status: "locating" };
    this.nearby = [];
    const seq = ++this.seq;
    this.render();
    this.changed();
    if (await this.map.ready.catch(() => null)) this.map.show(lng, lat, { accuracy: source === "gps" ? accuracy : null, fly });
    let next;
    const query = { lat: lat.toFixed(7), lng: lng.toFixed(7) };
    // the nearest address (null when none is within 150 m) is asked for beside the cell; it only adds a line
    const nearest = api("/addresses/nearest", { query }).catch(() => null);
    try {
      const found = await api("/locate", { query });
      next = { status: "ok", cell: found.cell, ancestors: found.ancestors, address: await nearest };
    } catch (err) {
      if (err instanceof ApiError && err.body?.error === "outside_managed_area") {
        next = { status: "outside", distance: err.body.distance_m, nearest: err.body.nearest_cell };
      } else if (err instanceof ApiError && err.status === 0) {
        const cell = this.map.cellAt(lng, lat);  // no signal: the cells already on the phone answer
        next = cell ? { status: "offline", cell } : { status: "unchecked" };
      } else {
        next = { status: "error", message: err.message };
      }
    }
    if (seq !== this.seq) return;  // a newer point was chosen meanwhile
    this.loc = { ...this.loc, ...next };
    if (next.status === "outside" && source !== "map") this.map.fitWithOwn(lng, lat);
    this.render();
    this.loadNearby();
  }

  placeHtml() {
    const loc = this.loc;
    const how = loc.source ? t(`m.where.source.${loc.source}`, { m: Math.round(loc.accuracy || 0) }) : "";
    const note = this.gpsError && loc.source !== "map" && loc.source !== "photo"
      ? `<p class="warn">${t(this.gpsError)}</p>` : "";
    const coords = loc.lng !== undefined ? `<span class="muted">${loc.lat.toFixed(6)}, ${loc.lng.toFixed(6)} · ${escapeHtml(how)}</span>` : "";
    // no position yet: "getting the position…" while the phone may still answer; after a refusal only the refusal
    if (loc.status === "none") return note || `<p class="muted">${t("m.where.waiting")}</p>`;
    if (loc.status === "locating") return `${note}<p class="muted">${t("m.where.locating")}</p>${coords}`;
    if (loc.status === "outside") {
      const near = loc.nearest ? nearestText(loc.nearest, loc.distance) : "";
      return `${note}<div class="outside" role="alert"><b>${t("m.where.outside")}</b><br>${escapeHtml(near)}<br>${t("m.where.outside_hint")}</div>${coords}`;
    }
    if (loc.status === "ok" || loc.status === "offline") {
      const chain = (loc.ancestors || []).filter((a) => a.level !== "district").map((a) => a.name).join(" · ");
      const near = loc.status === "ok" && loc.address
        ? `<span class="near-address">${escapeHtml(t("m.where.near_address", {
          name: loc.address.address.name, m: Math.round(loc.address.distance_m) }))}</span><br>` : "";
      return `${note}<div class="cell"><span class="cell-name">${escapeHtml(loc.cell.name)}</span>
        <span class="cell-code">${escapeHtml(loc.cell.code)}</span></div>
        ${near}${chain ? `<span class="muted">${escapeHtml(chain)}</span><br>` : ""}
        ${loc.status === "offline" ? `<span class="warn">${t("m.where.offline_cell")}</span><br>` : ""}${coords}`;
    }
    if (loc.status === "unchecked") return `${note}<p class="warn">${t("m.where.unchecked")}</p>${coords}`;
    return `${note}<p class="error">${escapeHtml(loc.message || "")}</p>${coords}`;
  }

  // ---- what ----
  pickCategory(code) {
    this.category = code;
    this.$("#category-search").value = "";
    this.picker.search("");
    this.render();
    this.changed();
    this.loadNearby();
  }

  // ---- photos ----
  /** Add the picked files up to the limit; a file that is not a readable picture is refused by its name. */
  async addPhotos(files) {
    this.photoNote = "";
    this.photoBusy = true;
    this.render();
    const refused = [];
    let dropped = 0;
    for (const file of files) {
      if (this.photos.length >= MAX_PHOTOS) { dropped += 1; continue; }
      const [gps, blob] = await Promise.all([photoPosition(file), readPhoto(file)]);
      if (!blob) { refused.push(file.name); continue; }
      this.photos.push({ blob, gps, name: file.name, url: URL.createObjectURL(blob) });
      this.render();
      this.changed();
    }
    this.photoBusy = false;
    this.photoNote = [
      refused.length ? t("m.photo.not_image", { names: refused.map((n) => `“${n}”`).join(t("list.sep")) }) : "",
      dropped ? t("m.photo.dropped", { n: dropped, max: MAX_PHOTOS }) : "",
    ].filter(Boolean).join(" ");
    this.render();
  }

  // ---- nearby duplicates ----
  async loadNearby() {
    const loc = this.loc;
    if (!this.category || !["ok", "offline"].includes(loc.status)) { this.nearby = []; this.render(); return; }
    const ask = `${loc.lat},${loc.lng},${this.category}`;
    this.nearbyAsk = ask;
    try {
      const found = await api("/nearby", { query: { lat: loc.lat.toFixed(7), lng: loc.lng.toFixed(7), category_code: this.category } });
      if (this.nearbyAsk === ask) { this.nearby = found.items; this.render(); }
    } catch { /* no signal: the server checks duplicates when the report arrives */ }
  }

  async support(id, button) {
    button.disabled = true;
    try {
      const ticket = await api(`/tickets/${id}/actions/support`, { json: {} });
      this.reset();
      await this.drafts.discard();
      this.result = { kind: "supported", ticket };
    } catch (err) {
      this.result = { kind: "error", message: err.message };
    }
    this.render();
    this.$("#result").scrollIntoView({ block: "center" });
  }

  // ---- submit ----
  missing() {
    const loc = this.loc;
    if (loc.status === "outside") return t("m.missing.outside");
    if (loc.status === "none" || loc.status === "error") return t("m.missing.where");
    if (loc.status === "locating") return t("m.where.locating");
    if (!this.category) return t("m.missing.category");
    if (!this.$("#description").value.trim()) return t("m.missing.description");
    return "";
  }

  async submit() {
    if (this.missing() || this.busy) return;
    this.busy = true;
    this.render();
    const item = {
      key: this.key, username: this.me.username, created_at: new Date().toISOString(),
      fields: { lat: this.loc.lat.toFixed(7), lng: this.loc.lng.toFixed(7), crs: "wgs84", category_code: this.category,
        description: this.$("#description").value.trim(), urgency: this.urgency },
      photos: this.photos.map((p) => p.blob),
      names: this.photos.map((p) => p.name || ""),
      cell: this.loc.cell ? { code: this.loc.cell.code, name: this.loc.cell.name } : null,
    };
    await save(item);  // on the phone first: nothing is lost if the page dies while sending
    const result = navigator.onLine === false ? { retry: true, offline: true } : await send(item, (await currentUser()).csrf_token);
    if (result.ok) {
      await remove(item.key);
      this.result = { kind: "filed", ticket: result.body.ticket, duplicates: result.body.duplicates };
      this.reset();
      await this.drafts.discard();
      this.onFiled?.(result.body);
    } else if (result.failed) {
      await remove(item.key);  // the form is still filled in: correct it and send again
      this.result = { kind: "error", message: result.message };
    } else {
      this.result = { kind: result.signedOut ? "signed_out" : "queued" };
      this.reset();
      await this.drafts.discard();
      this.onQueued?.({ signedOut: Boolean(result.signedOut) });
    }
    this.busy = false;
    this.render();
    this.$("#result").scrollIntoView({ block: "center" });
  }

  /** Put a queued report back into the form (a failed one, to correct it); it keeps its key. */
  async edit(item) {
    this.reset();
    this.key = item.key;
    this.category = item.fields.category_code;
    this.urgency = item.fields.urgency;
    this.$("#description").value = item.fields.description;
    this.photos = item.photos.map((blob, i) => ({ blob, gps: null, name: item.names?.[i] || "", url: URL.createObjectURL(blob) }));
    this.result = null;
    await remove(item.key);
    this.setPoint(Number(item.fields.lng), Number(item.fields.lat), { source: "map", fly: true });  // saves the draft
    this.root.scrollIntoView();
  }

  resultHtml() {
    const r = this.result;
    if (!r) return "";
    if (r.kind === "error") return `<div class="card error-card" role="alert">${escapeHtml(r.message)}</div>`;
    if (r.kind === "queued") return `<div class="card queued-card">${t("m.result.queued")}</div>`;
    if (r.kind === "signed_out") {
      return `<div class="card error-card" role="alert" data-result="signed-out">${t("m.result.signed_out")}
        <a class="button sign-in" href="${SIGN_IN}">${t("m.sign_in")}</a></div>`;
    }
    if (r.kind === "supported") {
      return `<div class="card ok-card" data-result="supported"><b>${t("m.result.supported", { case: r.ticket.case_number })}</b><br>
        ${t("m.nearby.supports", { n: r.ticket.support_count })}</div>`;
    }
    const dups = r.duplicates.length
      ? `<p><b>${t("m.result.duplicates", { n: r.duplicates.length })}</b></p><ul class="dups">${r.duplicates.map((d) =>
        `<li><b>${escapeHtml(d.case_number)}</b> · ${escapeHtml(statusLabel(d.status))} · ${Math.round(d.distance_m)} m<br>
          <span class="muted">${escapeHtml(d.description.slice(0, 60))}</span></li>`).join("")}</ul>` : "";
    return `<div class="card ok-card" data-result="filed" data-case="${escapeHtml(r.ticket.case_number)}">
      <b>${t("m.result.filed")}</b><div class="case-number">${escapeHtml(r.ticket.case_number)}</div>
      <span class="badge">${escapeHtml(statusLabel(r.ticket.status))}</span>${dups}</div>`;
  }

  render() {
    const $ = this.$;
    this.map?.relabel();
    $("#draft-note").hidden = !this.restoredDraft;
    $("#place").innerHTML = this.placeHtml();
    $("#place").dataset.status = this.loc.status;
    $("#use-photo").hidden = !this.photos.some((p) => p.gps);
    const c = this.byCode[this.category];
    $("#chosen").hidden = !c;
    $("#picker-box").hidden = Boolean(c);
    if (c) {
      $("#chosen").innerHTML = `<div><b>${escapeHtml(categoryName(c))}</b><br><span class="muted">${c.code} · ${escapeHtml(majorName(c))}</span></div>
        <button type="button" data-change>${t("m.category.change")}</button>`;
    } else {
      this.picker.render();
    }
    $("#urgency").innerHTML = URGENCIES.map((u) => `<button type="button" role="radio" class="seg ${u} ${this.urgency === u ? "on" : ""}"
      data-urgency="${u}" aria-checked="${this.urgency === u}">${t(`urgency.${u}`)}</button>`).join("");
    $("#counter").textContent = `${$("#description").value.length} / ${MAX_DESCRIPTION}`;
    $("#thumbs").innerHTML = this.photos.map((p, i) => `<figure><img src="${p.url}" alt="">
      ${p.gps ? `<span class="gps-tag">GPS</span>` : ""}
      <button type="button" data-remove="${i}" aria-label="${t("m.photo.remove")}">×</button></figure>`).join("");
    // at the limit the camera and the gallery are off, and the note says why
    const full = this.photos.length >= MAX_PHOTOS;
    for (const id of ["camera", "gallery"]) {
      $(`#${id}`).disabled = full;
      $(`#${id}-button`).classList.toggle("off", full);
      $(`#${id}-button`).setAttribute("aria-disabled", String(full));
    }
    $("#photo-note").textContent = [t(full ? "m.photo.full" : "m.photo.count", { n: this.photos.length, max: MAX_PHOTOS }),
      this.photoBusy ? t("m.photo.working") : "", this.photoNote].filter(Boolean).join(" ");
    $("#photo-note").classList.toggle("warn", Boolean(this.photoNote));
    const nearby = $("#nearby");
    nearby.hidden = !this.nearby.length;
    nearby.innerHTML = this.nearby.length ? `<h3>${t("m.nearby.title", { n: this.nearby.length })}</h3>
      <p class="muted">${t("m.nearby.hint")}</p>
      ${this.nearby.map((d) => `<div class="dup" data-id="${d.id}"><div><b>${escapeHtml(d.case_number)}</b>
        <span class="badge">${escapeHtml(statusLabel(d.status))}</span> · ${Math.round(d.distance_m)} m<br>
        <span>${escapeHtml(d.description.slice(0, 80))}</span><br>
        <span class="muted">${t("m.nearby.supports", { n: d.support_count })}</span></div>
        <button type="button" class="primary" data-support="${d.id}">${t("m.nearby.same")}</button></div>`).join("")}` : "";
    const missing = this.missing();
    $("#missing").textContent = missing;
    $("#missing").classList.toggle("bad", this.loc.status === "outside");
    $("#submit").disabled = Boolean(missing) || Boolean(this.busy);
    $("#submit").textContent = t(this.busy ? "m.sending" : "m.submit");
    $("#result").innerHTML = this.resultHtml();
    applyI18n(this.root);
  }
}
