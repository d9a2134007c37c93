// The tracking view (/c/t/<token>): what became of a report, in the public's words: its public status,
// category, place, times, department, the public notes (why it was not accepted, the department's reply, the
// explanation after a review), the photos before and after, and the rating (好差评) once it is closed.
import { PublicError, publicApi } from "./api.js";
import { remember } from "./mine.js";
import { applyI18n, escapeHtml, has, lang, named, publicStatus, t, when } from "./words.js";

export const LEVELS = ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied"];
const BAD = new Set(["dissatisfied", "very_dissatisfied"]);
const MAX_COMMENT = 500;  // the API's RateIn.comment

export class TrackPage {
  constructor(root, token) {
    this.root = root;
    this.token = token;
    this.data = null;
    this.error = null;
    this.justRated = false;
    this.notice = null;  // why the last rating was refused (409), shown once
    root.addEventListener("click", (e) => {
      if (e.target.closest("#refresh")) this.load();
    });
    root.addEventListener("submit", (e) => {
      if (e.target.id === "rate-form") { e.preventDefault(); this.rate(e.target); }
    });
    root.addEventListener("input", (e) => {
      if (e.target.id === "rate-comment") this.count(e.target);
    });
  }

  async load() {
    if (!this.token) {  // no well-formed token in the address: nothing to ask the API for
      this.error = new PublicError(404, null);
      this.render();
      return;
    }
    try {
      this.data = await publicApi(`/track/${encodeURIComponent(this.token)}`);
      this.error = null;
      this.keep();
    } catch (err) {
      this.error = err;
    }
    this.render();
  }

  /** 我的反映 on /c/ keeps this case and the status seen now. */
  keep() {
    remember({ case_number: this.data.case_number, url: location.pathname, status: this.data.public_status });
  }

  render() {
    const d = this.data;
    if (!d && !this.error) return;  // still loading
    if (!d) {
      const gone = this.error?.status === 404;
      this.root.innerHTML = `<div class="card error-card" role="alert" data-code="${escapeHtml(this.error?.code || "")}">
        ${escapeHtml(gone ? t("c.track.not_found") : this.error?.text() || "")}</div>
        <p class="pad"><a class="button" href="/c/">${t("c.track.new_report")}</a></p>`;
      return;
    }
    const row = (key, value) => `<div><dt>${t(key)}</dt><dd>${value ? escapeHtml(value) : `<span class="muted">${t("c.track.pending")}</span>`}</dd></div>`;
    this.root.innerHTML = `
      <section class="card head-card" aria-labelledby="case-title">
        <h2 id="case-title" class="case-number">${escapeHtml(t("c.track.number", { case: d.case_number }))}</h2>
        <p class="status-line"><span class="muted">${t("c.track.status")}</span>
          <b id="public-status" class="status" data-status="${escapeHtml(d.public_status)}">${escapeHtml(d.public_label?.[lang()] || publicStatus(d.public_status))}</b></p>
        ${d.support_count ? `<p class="muted" id="supports">${t("c.track.supports", { n: d.support_count })}</p>` : ""}
        <button type="button" id="refresh">${t("c.track.refresh")}</button>
      </section>
      ${this.renderRating(d)}
      ${this.renderMerged(d.merged_into)}
      <section class="card">
        <dl class="facts">
          ${row("c.track.category", named(d.category_name, d.category_name_en) || d.category_code)}
          ${d.address ? row("c.track.address", d.address) : ""}
          ${row("c.track.created", when(d.created_at))}
          ${d.merged_into ? "" : `${row("c.track.department", named(d.department_name, d.department_name_en))}
          ${d.closed_at ? row("c.track.closed", when(d.closed_at)) : d.cannot_rate === "ended" ? "" : row(expectedKey(d.expected_stage), when(d.expected_at))}`}
        </dl>
        ${d.description ? `<h3>${t("c.track.description")}</h3><p class="description">${escapeHtml(d.description)}</p>` : ""}
      </section>
      <section class="card" aria-labelledby="notes-title">
        <h2 id="notes-title">${t("c.track.notes")}</h2>
        ${(d.notes || []).length ? `<ol class="notes">${d.notes.map((n) => `<li data-action="${escapeHtml(n.action)}">
          <b>${escapeHtml(noteLabel(n.action))}</b> <small class="muted">${escapeHtml(when(n.at))}</small>
          ${n.text ? `<p>${escapeHtml(n.text)}</p>` : ""}</li>`).join("")}</ol>`
          : `<p class="muted">${t("c.track.no_notes")}</p>`}
      </section>
      ${this.renderPhotos(d.photos || [])}`;
    applyI18n(this.root);
  }

  /** A merged report (已并案办理): the case it is handled with, followed to its end. */
  renderMerged(m) {
    if (!m) return "";
    const row = (key, value) => `<div><dt>${t(key)}</dt><dd>${value ? escapeHtml(value) : `<span class="muted">${t("c.track.pending")}</span>`}</dd></div>`;
    return `<section class="card" id="merged" aria-labelledby="merged-title">
      <h2 id="merged-title">${escapeHtml(t("c.track.merged.title", { case: m.case_number }))}</h2>
      <p class="hint">${t("c.track.merged.hint")}</p>
      <dl class="facts">
        ${row("c.track.status", m.public_label?.[lang()] || publicStatus(m.public_status))}
        ${row("c.track.department", named(m.department_name, m.department_name_en))}
        ${m.closed_at ? row("c.track.closed", when(m.closed_at)) : row(expectedKey(m.expected_stage), when(m.expected_at))}
      </dl>
      ${(m.notes || []).map((n) => `<p><b>${escapeHtml(noteLabel(n.action))}</b> <small class="muted">${escapeHtml(when(n.at))}</small><br>${escapeHtml(n.text)}</p>`).join("")}
    </section>`;
  }

  renderPhotos(photos) {
    if (!photos.length) return "";
    const stages = [...new Set(photos.map((p) => p.stage))];
    const caption = (stage) => t(["report", "resolve"].includes(stage) ? `c.track.photo.${stage}` : "c.track.photo.other");
    return `<section class="card" aria-labelledby="photos-title">
      <h2 id="photos-title">${t("c.track.photos")}</h2>
      ${stages.map((stage) => `<figure class="photo-group" data-stage="${escapeHtml(stage)}">
        <figcaption>${escapeHtml(caption(stage))}</figcaption>
        <div class="photos">${photos.filter((p) => p.stage === stage).map((p, i) =>
          `<a href="${escapeHtml(p.url)}" target="_blank" rel="noopener"><img src="${escapeHtml(p.url)}" loading="lazy"
            alt="${escapeHtml(t("c.track.photo_alt", { stage: caption(stage), n: i + 1 }))}"></a>`).join("")}</div>
      </figure>`).join("")}</section>`;
  }

  renderRating(d) {
    const given = d.rating ? `<div class="rated" id="rating" data-level="${escapeHtml(d.rating.level)}">
        <p><span class="muted">${t("c.rate.yours")}</span> <b>${t(`c.rate.level.${d.rating.level}`)}</b>
          <small class="muted">${escapeHtml(when(d.rating.at))}</small></p>
        ${d.rating.comment ? `<p class="comment">${escapeHtml(d.rating.comment)}</p>` : ""}
        ${this.justRated ? `<p><b>${t("c.rate.thanks")}</b></p>` : ""}
        ${BAD.has(d.rating.level) && !d.can_rate && d.public_status !== "closed" ? `<p>${t("c.rate.review")}</p>` : ""}
      </div>` : "";
    let body = "";
    if (d.can_rate) {
      body = `<form id="rate-form" class="rate-form" novalidate>
        ${d.rating ? `<p>${t("c.rate.again")}</p>` : ""}
        <fieldset><legend>${t("c.rate.title")}</legend>
          ${LEVELS.map((l) => `<label class="radio"><input type="radio" name="level" value="${l}"> <span>${t(`c.rate.level.${l}`)}</span></label>`).join("")}
        </fieldset>
        <label for="rate-comment">${t("c.rate.comment")}</label>
        <textarea id="rate-comment" name="comment" rows="3" maxlength="${MAX_COMMENT}" aria-describedby="rate-counter"></textarea>
        <div class="counter" id="rate-counter">${t("c.description.count", { n: 0, max: MAX_COMMENT })}</div>
        ${d.rate_until ? `<p class="muted">${t("c.rate.until", { when: when(d.rate_until) })}</p>` : ""}
        <p id="rate-error" class="error" role="alert"></p>
        <button type="submit" class="primary big" id="rate-submit">${t("c.rate.submit")}</button>
      </form>`;
    } else if (d.cannot_rate && d.cannot_rate !== "ended" && !d.rating) {  // with a rating, the rating says why
      // (ended: not accepted, void or merged — nothing of its own to rate, so no rating card at all)
      body = `<p class="cannot-rate" id="cannot-rate" data-reason="${escapeHtml(d.cannot_rate)}">${t(`c.cannot_rate.${d.cannot_rate}`)}</p>`;
    }
    const notice = this.notice ? `<p class="error" role="alert" id="rate-notice">${escapeHtml(this.notice)}</p>` : "";
    this.notice = null;
    if (!given && !body && !notice) return "";
    // a call to act only when there is one (the form); else plain, like the facts around it
    return `<section class="card rate-card${d.can_rate ? " rate-open" : ""}" aria-labelledby="rate-title">
      <h2 id="rate-title">${t("c.rate.heading")}</h2>${notice}${given}${body}</section>`;
  }

  /** The comment's length against its limit, as the description's on the report form. */
  count(textarea) {
    this.root.querySelector("#rate-counter").textContent = t("c.description.count", { n: textarea.value.length, max: MAX_COMMENT });
  }

  async rate(form) {
    const level = form.querySelector("input[name=level]:checked")?.value;
    const error = form.querySelector("#rate-error");
    if (!level) { error.textContent = t("c.rate.choose"); return; }
    const button = form.querySelector("#rate-submit");
    button.disabled = true;
    try {
      this.data = await publicApi(`/track/${encodeURIComponent(this.token)}/rating`,
        { json: { level, comment: form.querySelector("#rate-comment").value.trim() } });
      this.justRated = true;
      this.keep();
      this.render();
      this.root.querySelector("#rating")?.scrollIntoView({ block: "center" });
    } catch (err) {
      error.textContent = err.text();
      button.disabled = false;
      if (err.status === 409) {  // rated meanwhile, or the window closed: show the case as it is now, and why
        this.notice = err.text();
        await this.load();
      }
    }
  }
}

/** What the expected time is for: to be checked on site (预计核实时间), accepted (预计受理时间), reviewed, or
 * done (预计办结时间: the department's handling or rectification, the check and the close). */
function expectedKey(stage) {
  const key = `c.track.expected.${stage}`;
  return has(key) ? key : "c.track.expected";
}

function noteLabel(action) {
  const key = `c.note.${action}`;
  const text = t(key);
  return text === key ? t("c.note.other") : text;
}
