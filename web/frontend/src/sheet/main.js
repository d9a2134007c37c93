// The case sheet (案卷处理单): one case as an A4 page to print or keep as PDF — number, category, place,
// reporter, department, every act with time and person, photos, deadlines and result.
import "./sheet.css";
import { actorText, api, contactText, currentUser, escapeHtml, eventNote, when } from "../common/api.js";
import { actionLabel, applyI18n, langSwitch, statusLabel, t } from "../i18n/index.js";
const $ = (s) => document.querySelector(s);
const en = () => document.documentElement.lang === "en";

function rows(pairs, wide) {
  const cells = pairs.map(([k, v]) => `<th>${escapeHtml(t(k))}</th><td>${v}</td>`);
  let html = "";
  for (let i = 0; i < cells.length; i += 2) html += `<tr>${cells[i]}${cells[i + 1] || "<th></th><td></td>"}</tr>`;
  for (const [k, v] of wide) html += `<tr><th>${escapeHtml(t(k))}</th><td colspan="3">${v}</td></tr>`;
  return `<table class="facts">${html}</table>`;
}

function render(c, lookup) {
  const name = (code) => { const d = lookup.departments.get(code); return d ? (en() && d.name_en) || d.name : code; };
  const dept = (code) => (code ? escapeHtml(name(code)) : t("sheet.none"));
  const cat = lookup.categories.get(c.category_code);
  const category = cat ? `${escapeHtml(c.category_code)} ${escapeHtml(en() ? cat.name_en : cat.name)}` : escapeHtml(c.category_code);
  const place = [lookup.areas.get(c.street_code), lookup.areas.get(c.community_code)].filter(Boolean).map(escapeHtml).join(" · ");
  const photoBy = new Map(c.timeline.map((e) => [e.seq, e]));
  const photos = c.photos.map((p) => {
    const e = photoBy.get(p.event_seq);
    const who = e ? `${escapeHtml(actorText(e))} · ${escapeHtml(when(p.created_at))}` : escapeHtml(when(p.created_at));
    return `<figure><img src="${escapeHtml(p.url)}" alt="${escapeHtml(t(`photo.${p.stage}`))}">
      <figcaption>${escapeHtml(t(`photo.${p.stage}`))} · ${who}</figcaption></figure>`;
  }).join("");
  const timers = c.timers.map((tm) => `<span><b>${escapeHtml(t(`stage.${tm.stage}`))}</b>
    ${escapeHtml(t("sheet.due_light", { due: when(tm.due_at), light: t(`sheet.light.${tm.light}`) }))}</span>`).join("");
  const acts = c.timeline.map((e) => `<tr><td>${escapeHtml(when(e.at))}</td>
    <td>${escapeHtml(actorText(e))}</td>
    <td>${escapeHtml(actionLabel(e.action))}</td>
    <td>${e.to_status ? escapeHtml(statusLabel(e.to_status)) : ""}</td>
    <td>${escapeHtml(eventNote(e, name))}</td></tr>`).join("");
  const last = c.timeline[c.timeline.length - 1];
  $("#sheet").innerHTML = `
    <div class="tools"><span id="lang"></span>
      <button type="button" class="plain" id="back">${escapeHtml(t("sheet.back"))}</button>
      <button type="button" id="print">${escapeHtml(t("sheet.print"))}</button></div>
    <h1>${escapeHtml(t("sheet.title"))}</h1>
    <p class="number">${escapeHtml(t("sheet.number_label"))}<b>${escapeHtml(c.case_number)}</b></p>
    <h2>${escapeHtml(t("sheet.facts"))}</h2>
    ${rows([
      ["sheet.category", category], ["sheet.urgency", escapeHtml(t(`urgency.${c.urgency}`))],
      ["sheet.status", escapeHtml(statusLabel(c.status))], ["sheet.source", escapeHtml(t(`sheet.source.${c.source}`))],
      ["sheet.place", `${place || ""} <span class="muted">${escapeHtml(c.address || "")} ${escapeHtml(c.cell_code)}</span>`],
      ["sheet.reporter", escapeHtml(c.contact ? contactText(c.contact) : c.reporter_name || t("sheet.none"))],
      ["sheet.department", dept(c.department_code)], ["sheet.reported", escapeHtml(when(c.created_at))],
    ], [["sheet.position", `${c.lng.toFixed(6)}, ${c.lat.toFixed(6)} (WGS-84)`],
      ["sheet.description", escapeHtml(c.description)]])}
    <h2>${escapeHtml(t("sheet.timeline"))}</h2>
    <table class="timeline acts"><thead><tr><th>${escapeHtml(t("sheet.at"))}</th><th>${escapeHtml(t("sheet.who"))}</th>
      <th>${escapeHtml(t("sheet.act"))}</th><th>${escapeHtml(t("sheet.then"))}</th><th>${escapeHtml(t("sheet.note"))}</th></tr></thead>
      <tbody>${acts}</tbody></table>
    ${timers ? `<h2>${escapeHtml(t("sheet.deadlines"))}</h2><p class="deadlines">${timers}</p>` : ""}
    ${photos ? `<h2>${escapeHtml(t("sheet.photos"))}</h2><div class="photos">${photos}</div>` : ""}
    <h2>${escapeHtml(t("sheet.result"))}</h2>
    <p class="result">${escapeHtml(statusLabel(c.status))}${last ? ` · ${escapeHtml(when(last.at))}` : ""}</p>
    <div class="sign"><div>${escapeHtml(t("sheet.sign.department"))}</div><div>${escapeHtml(t("sheet.sign.check"))}</div>
      <div>${escapeHtml(t("sheet.sign.close"))}</div></div>
    <div class="foot"><span>gridops · ${escapeHtml(t("sheet.printed"))} ${escapeHtml(when(new Date().toISOString()))}</span>
      <span>${escapeHtml(t("sheet.chain"))} ${escapeHtml((last?.hash || "").slice(0, 16))}</span></div>`;
  $("#lang").append(langSwitch(() => render(c, lookup)));
  $("#print").addEventListener("click", () => window.print());
  $("#back").addEventListener("click", () => (history.length > 1 ? history.back() : (location.href = "/")));
  applyI18n();
  const images = [...document.querySelectorAll(".photos img")];
  Promise.all(images.map((img) => (img.complete ? null : new Promise((ok) => { img.onload = ok; img.onerror = ok; }))))
    .then(() => { $("#sheet").dataset.ready = "1"; });
}

async function main() {
  applyI18n();
  await currentUser();
  const id = Number((location.pathname.match(/\/cases\/(\d+)\/sheet/) || [])[1]);
  try {
    const [c, departments, categories] = await Promise.all([api(`/tickets/${id}`), api("/departments"),
      api("/categories")]);
    const areas = new Map();
    try {
      const located = await api("/locate", { query: { lat: c.lat, lng: c.lng } });
      for (const a of [...(located.ancestors || []), located.cell].filter(Boolean)) areas.set(a.code, a.name);
    } catch { /* outside the grid: the codes are shown */ }
    render(c, {
      departments: new Map(departments.map((d) => [d.code, d])),  // (named in the language of each drawing)
      categories: new Map(categories.map((x) => [x.code, x])),
      areas,
    });
  } catch (err) {
    $("#sheet").innerHTML = `<p class="muted">${escapeHtml(err.message)}</p>`;
    $("#sheet").dataset.ready = "error";
  }
}

main();
