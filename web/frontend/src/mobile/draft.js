// The report being written, kept on the phone: a cheap Android phone often kills the tab while the camera is
// open, and a reload loses what was typed. Category, urgency, description, the chosen place (and how it was
// chosen) and the photos are saved a moment after each change (and at once when the page is hidden), in the
// outbox's IndexedDB store under the worker's name; they come back when the page opens, and go once the report
// is sent or queued, or the worker clears them.
import { clearDraft, loadDraft, saveDraft } from "./outbox.js";

const WAIT_MS = 600;

export class DraftKeeper {
  /** ``form``: the ReportForm whose fields are kept. */
  constructor(form, username) {
    this.form = form;
    this.username = username;
    this.timer = null;
    this.stored = false;  // a draft is on the phone (so an empty form removes it once, not on every GPS fix)
    document.addEventListener("visibilitychange", () => { if (document.hidden) this.flush(); });
    window.addEventListener("pagehide", () => this.flush());
  }

  /** Something was typed, picked or added: save shortly (one write for a burst of keystrokes). */
  changed() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), WAIT_MS);
    this.form.root.dataset.draft = "pending";  // "saved" once written (what the browser tests wait for)
  }

  /** What the form holds now, or null when the worker has not started a report (a GPS fix alone is none). */
  snapshot() {
    const f = this.form;
    const description = f.$("#description").value;
    const loc = f.loc;
    const placed = loc.lng !== undefined && ["map", "photo"].includes(loc.source);
    if (!f.category && !description.trim() && !f.photos.length && f.urgency === "normal" && !placed) return null;
    return {
      key: f.key, saved_at: new Date().toISOString(), category: f.category, urgency: f.urgency, description,
      place: loc.lng !== undefined ? { lng: loc.lng, lat: loc.lat, source: loc.source, accuracy: loc.accuracy ?? null } : null,
      photos: f.photos.map((p) => ({ blob: p.blob, name: p.name || "", gps: p.gps || null })),
    };
  }

  async flush() {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    const draft = this.snapshot();
    try {
      if (draft) await saveDraft(this.username, draft);
      else if (this.stored) await clearDraft(this.username);
      this.stored = Boolean(draft);
      if (this.timer === null) this.form.root.dataset.draft = draft ? "saved" : "none";  // unless changed meanwhile
    } catch (err) {
      console.warn("draft not saved", err);  // eslint-disable-line no-console
    }
  }

  /** The report was sent or queued, or the worker cleared it. */
  async discard() {
    clearTimeout(this.timer);
    this.timer = null;
    this.stored = false;
    this.form.restoredDraft = false;
    await clearDraft(this.username).catch(() => null);
    this.form.root.dataset.draft = "none";
  }

  /** Put the worker's draft back into the form; true when there was one. A draft whose report is already in
   * the queue (the page died while sending it) is dropped: the queue sends it. */
  async restore(queuedKeys = []) {
    const d = await loadDraft(this.username).catch(() => null);
    if (!d) return false;
    if (queuedKeys.includes(d.key)) { await this.discard(); return false; }
    const f = this.form;
    f.key = d.key;
    f.category = d.category || null;
    f.urgency = d.urgency || "normal";
    f.$("#description").value = d.description || "";
    for (const p of f.photos) URL.revokeObjectURL(p.url);
    f.photos = (d.photos || []).map((p) => ({ blob: p.blob, name: p.name, gps: p.gps, url: URL.createObjectURL(p.blob) }));
    f.restoredDraft = true;
    this.stored = true;
    const place = d.place;
    // a place from GPS follows the phone's current fix when it has one; a tap or a photo's place is kept
    if (place && !(place.source === "gps" && f.fix)) {
      f.setPoint(place.lng, place.lat, { source: place.source, accuracy: place.accuracy, fly: true });
    } else {
      f.render();
      f.loadNearby();
    }
    return true;
  }
}
