// One of the worker's own cases (GET /tickets/{id}): its status and time limit, the department and its
// reply (the last resolve's reason), the photos before and after handling (each labelled with the act that
// took it, who and when), and every act on the record with its reason (a person's; the system's automatic
// acts carry routing notes in English, not meant for the worker).
import { actorText, escapeHtml, lightText, when } from "../common/api.js";
import { actionLabel, statusLabel, t } from "../i18n/index.js";

const AFTER = new Set(["resolve", "check"]);  // photo stages taken once the department has acted

function photoFigure(photo, bySeq) {
  const event = bySeq.get(photo.event_seq);
  const act = event ? actionLabel(event.action) : photo.stage;
  const side = t(AFTER.has(photo.stage) ? "m.case.after" : "m.case.before");
  const label = `${side} · ${act}`;
  return `<figure class="case-photo" data-stage="${escapeHtml(photo.stage)}">
      <a href="${photo.url}" target="_blank"><img src="${photo.url}" alt="${escapeHtml(label)}" loading="lazy"></a>
      <figcaption><b>${escapeHtml(label)}</b><br>${escapeHtml(t("m.case.by", { who: event ? actorText(event) : "", when: when(photo.created_at) }))}</figcaption>
    </figure>`;
}

/** The case page's HTML; ``department`` names a department code. */
export function casePage(d, { category, department }) {
  const bySeq = new Map(d.timeline.map((e) => [e.seq, e]));
  const reply = [...d.timeline].reverse().find((e) => e.action === "resolve");
  const before = d.photos.filter((p) => !AFTER.has(p.stage));
  const after = d.photos.filter((p) => AFTER.has(p.stage));
  const light = d.sla?.light;
  const group = (key, list) => `<h3>${t(key)}</h3>${list.length
    ? `<div class="case-photos">${list.map((p) => photoFigure(p, bySeq)).join("")}</div>`
    : `<p class="muted">${t("m.case.no_photos")}</p>`}`;
  return `<div class="case-page" data-id="${d.id}">
    <button type="button" class="back" data-back>← ${t("m.case.back")}</button>
    <h2 id="case-title" tabindex="-1">${t("m.case.title", { case: escapeHtml(d.case_number) })}</h2>
    <dl class="case-facts">
      <dt>${t("m.case.status")}</dt>
      <dd><span class="badge status" data-status="${d.status}">${escapeHtml(statusLabel(d.status))}</span></dd>
      ${light ? `<dt>${t("m.case.due")}</dt><dd><span class="light ${light}"></span> ${escapeHtml(lightText(d.sla))}</dd>` : ""}
      <dt>${t("m.description")}</dt><dd>${escapeHtml(category)} · ${escapeHtml(d.description)}</dd>
      ${d.department_code ? `<dt>${t("m.case.department")}</dt><dd class="department">${escapeHtml(department(d.department_code))}</dd>` : ""}
    </dl>
    <section class="case-reply">
      <h3>${t("m.case.reply")}</h3>
      ${reply ? `<p class="reply-text">${escapeHtml(reply.reason)}</p><p class="muted">${escapeHtml(t("m.case.by", { who: actorText(reply), when: when(reply.at) }))}</p>`
        : `<p class="muted">${t("m.case.no_reply")}</p>`}
    </section>
    <section class="case-photo-groups">
      ${group("m.case.before", before)}
      ${group("m.case.after", after)}
    </section>
    <section>
      <h3>${t("m.case.timeline")}</h3>
      <ol class="timeline">${d.timeline.map((e) => `<li data-action="${escapeHtml(e.action)}">
        <b>${escapeHtml(actionLabel(e.action))}</b>
        ${e.to_status && e.to_status !== e.from_status ? ` → ${escapeHtml(statusLabel(e.to_status))}` : ""}
        <div class="muted">${escapeHtml(t("m.case.by", { who: actorText(e), when: when(e.at) }))}</div>
        ${e.reason && e.role !== "system" ? `<div class="reason">${escapeHtml(e.reason)}</div>` : ""}</li>`).join("")}</ol>
    </section>
  </div>`;
}
