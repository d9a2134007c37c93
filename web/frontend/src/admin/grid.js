// The grid (issue 13): the hierarchy as a tree (district → street → community → cell count) beside a map;
// a grid file uploaded and previewed (POST /grid/preview: what it adds, changes, leaves out, refuses, repairs,
// and where it overlaps, as tables and on the map), then applied (POST /grid/apply with the same file, sent
// again, and the preview's id) and its job followed (GET /jobs/{id}) to the end; the export (GET /grid/export).
// Cells generated over a community or a street (gridgen.js) are previewed and applied the same way.
// The map is the bundled MapLibre on the optional intranet base map: nothing is fetched from the internet.
import "./admin_grid.css";
import { api, errorText, escapeHtml } from "../common/api.js";
import { addBaseLayer, basemap, shiftGeometry } from "../common/basemap.js";
import { applyI18n, mapLocale, t } from "../i18n/index.js";
import { generateCard, wireGenerate } from "./gridgen.js";
import { refusal } from "./users.js";

const LEVELS = ["district", "street", "community", "cell"];
const COLOURS = { added: "#1e8e3e", changed: "#e8a200", before: "#b06000", refused: "#d93025", unchanged: "#9aa5b1",
  not_in_file: "#5f6368" };
const POLL_MS = 400;

let maplibre = null;
let current = null; // {map, cfg, ready, preview, features} of the section on screen

const fmt = (n, digits = 0) => Number(n).toLocaleString(document.documentElement.lang || "zh-CN",
  { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** [[minLng, minLat], [maxLng, maxLat]] of a geometry (already shifted for the map), or null. */
function boundsOf(geometries) {
  const b = [[Infinity, Infinity], [-Infinity, -Infinity]];
  const walk = (c) => {
    if (typeof c[0] === "number") {
      b[0] = [Math.min(b[0][0], c[0]), Math.min(b[0][1], c[1])];
      b[1] = [Math.max(b[1][0], c[0]), Math.max(b[1][1], c[1])];
    } else c.forEach(walk);
  };
  geometries.filter(Boolean).forEach((g) => (g.type === "GeometryCollection"
    ? g.geometries.forEach((x) => walk(x.coordinates)) : walk(g.coordinates)));
  return Number.isFinite(b[0][0]) ? b : null;
}

export async function renderGrid(main) {
  current?.map?.remove();
  current = null;
  main.innerHTML = `<div class="section-head"><h2 data-i18n="admin.nav.grid"></h2></div>
    <div class="grid-admin">
      <div class="grid-work">
        <section class="card" aria-labelledby="grid-tree-title">
          <h3 id="grid-tree-title" data-i18n="admin.grid.tree"></h3>
          <p class="hint" data-i18n="admin.grid.tree_hint"></p>
          <div id="grid-tree" class="grid-tree"></div>
        </section>
        <section class="card" aria-labelledby="grid-upload-title">
          <h3 id="grid-upload-title" data-i18n="admin.grid.upload"></h3>
          <p class="hint" id="grid-upload-hint" data-i18n="admin.grid.upload_hint"></p>
          <form id="grid-form" class="row-form">
            <label><span data-i18n="admin.grid.file"></span><input type="file" name="file" required
              accept=".geojson,.json,.zip,.gpkg" aria-describedby="grid-upload-hint"></label>
            <label><span data-i18n="admin.grid.level"></span><select name="level">${LEVELS.map((l) =>
    `<option value="${l}" ${l === "cell" ? "selected" : ""}>${escapeHtml(t(`admin.grid.level.${l}`))}</option>`).join("")}</select></label>
            <label><span data-i18n="admin.grid.code_field"></span><input name="code_field" value="code" maxlength="64" required></label>
            <label><span data-i18n="admin.grid.name_field"></span><input name="name_field" value="name" maxlength="64" required></label>
            <label><span data-i18n="admin.grid.crs"></span><input name="crs" maxlength="64" list="grid-crs-list"
              aria-describedby="grid-crs-hint" data-i18n-placeholder="admin.grid.crs_hint"></label>
            <datalist id="grid-crs-list"><option value="EPSG:4326"></option><option value="EPSG:4490"></option>
              <option value="EPSG:4549"></option><option value="gcj02"></option><option value="bd09"></option></datalist>
            <label><span data-i18n="admin.grid.layer"></span><input name="layer" maxlength="128"></label>
            <label><span data-i18n="admin.grid.overlaps"></span><select name="overlaps">${["report", "refuse", "clip"].map((o) =>
    `<option value="${o}">${escapeHtml(t(`admin.grid.overlaps.${o}`))}</option>`).join("")}</select></label>
            <button type="submit" class="primary" data-i18n="admin.grid.preview"></button>
            <p class="hint sr-only" id="grid-crs-hint" data-i18n="admin.grid.crs_hint"></p>
          </form>
          <p class="error" role="alert" id="grid-error"></p>
          <p class="hint" role="status" id="grid-status"></p>
        </section>
        ${generateCard()}
        <section class="card" id="grid-result" aria-labelledby="grid-result-title" hidden>
          <h3 id="grid-result-title"></h3>
          <p class="error" role="alert" id="grid-apply-error"></p>
          <div id="grid-preview" aria-live="polite"></div>
          <div id="grid-job"></div>
        </section>
        <section class="card" aria-labelledby="grid-export-title">
          <h3 id="grid-export-title" data-i18n="admin.grid.export"></h3>
          <p class="hint" data-i18n="admin.grid.export_hint"></p>
          <div class="row-form"><label><span data-i18n="admin.grid.export_level"></span><select id="grid-export-level">${
  LEVELS.map((l) => `<option value="${l}" ${l === "cell" ? "selected" : ""}>${escapeHtml(t(`admin.grid.level.${l}`))}</option>`).join("")}
            </select></label>
            <div class="buttons" id="grid-export">${["geojson", "gpkg", "shp"].map((f) =>
    `<a class="button" data-format="${f}" download href="/api/v1/grid/export?level=cell&format=${f}"
                data-i18n="admin.grid.export.${f}"></a>`).join("")}</div></div>
        </section>
      </div>
      <div class="grid-side">
        <div class="gridmap" id="gridmap" role="group" data-i18n-aria-label="admin.grid.map"></div>
        <ul class="legend" id="grid-legend" hidden>${["added", "changed", "before", "refused", "unchanged", "not_in_file"].map((s) =>
    `<li><span class="swatch mark-${s}"></span><span data-i18n="admin.grid.legend.${s}"></span></li>`).join("")}</ul>
      </div>
    </div>`;
  const level = main.querySelector("#grid-export-level");
  level.addEventListener("change", () => main.querySelectorAll("#grid-export a").forEach((a) => {
    a.href = `/api/v1/grid/export?level=${encodeURIComponent(level.value)}&format=${a.dataset.format}`;
  }));
  wireUpload(main);
  const [levels] = await Promise.all([loadLevels()]);
  if (!main.isConnected) return;
  drawTree(main, levels);
  wireGenerate(main, levels);
  await drawMap(main, levels);
}

async function loadLevels() {
  const all = await Promise.all(LEVELS.map((level) => api("/cells", { query: { level } }).catch(() => ({ features: [] }))));
  return Object.fromEntries(LEVELS.map((l, i) => [l, all[i].features]));
}

function drawTree(main, levels) {
  const box = main.querySelector("#grid-tree");
  const children = {};
  for (const l of LEVELS) {
    for (const f of levels[l]) (children[f.properties.parent_code || ""] ||= []).push(f.properties);
  }
  const cellsUnder = (code) => levels.cell.filter((f) => f.properties.code.startsWith(code)).length;
  const item = (p) => {
    const kids = p.level === "community" ? [] : (children[p.code] || []).filter((k) => k.level !== "cell");
    const label = `<button type="button" class="link" data-area="${escapeHtml(p.code)}">${escapeHtml(p.name)}</button>
      ${p.name === p.code ? "" : `<code class="small">${escapeHtml(p.code)}</code>`} <span class="muted small">${escapeHtml(t(`admin.grid.level.${p.level}`))} · ${
  escapeHtml(t("admin.grid.cells_n", { n: cellsUnder(p.code) }))}</span>`;
    if (!kids.length) return `<li class="leaf">${label}</li>`;
    const id = `tree-${p.code}`;
    return `<li><button type="button" class="twisty" aria-expanded="true" aria-controls="${escapeHtml(id)}"
        aria-label="${escapeHtml(t("admin.grid.branch", { name: p.name }))}"></button>${label}
      <ul id="${escapeHtml(id)}">${kids.sort((a, b) => a.code.localeCompare(b.code)).map(item).join("")}</ul></li>`;
  };
  const roots = levels.district.map((f) => f.properties);
  box.innerHTML = roots.length ? `<ul class="tree-root">${roots.sort((a, b) => a.code.localeCompare(b.code)).map(item).join("")}</ul>`
    : `<p class="muted">${escapeHtml(t("admin.grid.none"))}</p>`;
  box.querySelectorAll(".twisty").forEach((b) => b.addEventListener("click", () => {
    const open = b.getAttribute("aria-expanded") !== "true";
    b.setAttribute("aria-expanded", String(open));
    box.querySelector(`#${CSS.escape(b.getAttribute("aria-controls"))}`).hidden = !open;
  }));
  box.querySelectorAll("[data-area]").forEach((b) => b.addEventListener("click", () => {
    const code = b.dataset.area;
    const f = LEVELS.flatMap((l) => levels[l]).find((x) => x.properties.code === code);
    if (f) flyTo([f.geometry], code);
  }));
}

async function drawMap(main, levels) {
  maplibre ||= import("/static/vendor/maplibre/maplibre-gl.mjs");
  const [ml, cfg] = await Promise.all([maplibre, basemap()]);
  const box = main.querySelector("#gridmap");
  if (!box?.isConnected) return;
  const shift = (features) => ({ type: "FeatureCollection", features: features.map((f) => ({
    type: "Feature", properties: f.properties, geometry: f.geometry && shiftGeometry(f.geometry, cfg.toMap) })) });
  const outlines = { cell: shift(levels.cell), community: shift(levels.community), street: shift(levels.street) };
  const all = boundsOf([...outlines.cell.features, ...outlines.community.features].map((f) => f.geometry));
  const map = new ml.Map({
    container: box,
    style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f4" } }] },
    bounds: all || undefined, fitBoundsOptions: { padding: 24, maxZoom: 17 },
    center: all ? undefined : [121.47, 31.23], zoom: all ? undefined : 12,
    attributionControl: false, fadeDuration: 0, locale: mapLocale(), dragRotate: false, pitchWithRotate: false,
  });
  box.map = map;
  current = { map, cfg, shift, ready: false, preview: null };
  map.addControl(new ml.NavigationControl({ showCompass: false }), "top-right");
  map.on("load", () => {
    addBaseLayer(map, cfg);
    map.addSource("cells", { type: "geojson", data: outlines.cell });
    map.addSource("communities", { type: "geojson", data: outlines.community });
    map.addSource("preview", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "cells-fill", type: "fill", source: "cells", paint: { "fill-color": "#0b57d0", "fill-opacity": 0.05 } });
    map.addLayer({ id: "cells-line", type: "line", source: "cells", paint: { "line-color": "#7b8794", "line-width": 1 } });
    map.addLayer({ id: "communities-line", type: "line", source: "communities",
      paint: { "line-color": "#1f2933", "line-width": 2.5 } });
    const colour = ["match", ["get", "status"], ...Object.entries(COLOURS).flat(), "#0b57d0"];
    const polygons = ["all", ["!=", ["get", "status"], "before"], ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false]];
    map.addLayer({ id: "preview-fill", type: "fill", source: "preview", filter: polygons,
      paint: { "fill-color": colour, "fill-opacity": ["match", ["get", "status"], ["unchanged", "not_in_file"], 0.08, 0.45] } });
    map.addLayer({ id: "preview-line", type: "line", source: "preview",
      filter: ["all", ["!=", ["get", "status"], "before"], ["!=", ["geometry-type"], "Point"]],
      paint: { "line-color": colour, "line-width": ["match", ["get", "status"], ["unchanged", "not_in_file"], 1, 2.5] } });
    map.addLayer({ id: "preview-before", type: "line", source: "preview", filter: ["==", ["get", "status"], "before"],
      paint: { "line-color": COLOURS.before, "line-width": 2.5, "line-dasharray": [2, 2] } });
    map.addLayer({ id: "preview-point", type: "circle", source: "preview", filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-color": colour, "circle-radius": 6, "circle-stroke-color": "#fff", "circle-stroke-width": 1.5 } });
    map.addLayer({ id: "picked", type: "line", source: "preview", filter: ["==", ["get", "code"], ""],
      paint: { "line-color": "#0b57d0", "line-width": 4 } }, "preview-before"); // the old outline stays in sight
    map.addLayer({ id: "picked-area", type: "line", source: "cells", filter: ["==", ["get", "code"], ""],
      paint: { "line-color": "#0b57d0", "line-width": 4 } });
    current.ready = true;
    if (current.preview) showOnMap(current.preview);
    map.once("idle", () => { box.dataset.ready = "true"; });
  });
  applyI18n(box);
}

/** Fit the map to these (WGS-84) geometries and outline the code. */
function flyTo(geometries, code) {
  if (!current?.ready) return;
  const b = boundsOf(geometries.filter(Boolean).map((g) => shiftGeometry(g, current.cfg.toMap)));
  if (b) current.map.fitBounds(b, { padding: 80, maxZoom: 17, duration: matchMedia("(prefers-reduced-motion: reduce)").matches ? 0 : 600 });
  current.map.setFilter("picked", ["all", ["==", ["get", "code"], code], ["!=", ["get", "status"], "before"]]);
  current.map.setFilter("picked-area", current.preview ? ["==", ["get", "code"], ""] : ["==", ["get", "code"], code]);
  current.map.getContainer().dataset.picked = code;
}

function showOnMap(preview) {
  if (!current?.ready) return;
  const box = current.map.getContainer();
  delete box.dataset.shown;
  current.map.getSource("preview").setData(current.shift(preview.geojson.features));
  current.map.once("idle", () => { box.dataset.shown = preview.preview_id; }); // drawn: the marks can be read
  const b = boundsOf(current.shift(preview.geojson.features.filter((f) => f.properties.status !== "not_in_file")).features
    .map((f) => f.geometry));
  if (b) current.map.fitBounds(b, { padding: 40, maxZoom: 17, duration: 0 });
}

function wireUpload(main) {
  const form = main.querySelector("#grid-form");
  const error = main.querySelector("#grid-error");
  const status = main.querySelector("#grid-status");
  let sent = null; // the file and the options of the preview on screen: apply sends exactly these
  const formData = (s, extra = {}) => {
    const data = new FormData();
    data.append("file", s.file, s.file.name);
    for (const [k, v] of Object.entries({ ...s.options, ...extra })) if (v) data.append(k, v);
    return data;
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    const file = form.file.files[0];
    if (!file) { error.textContent = t("admin.grid.choose"); form.file.focus(); return; }
    const options = { level: form.level.value, code_field: form.code_field.value.trim(), name_field: form.name_field.value.trim(),
      crs: form.crs.value.trim(), layer: form.layer.value.trim(), overlaps: form.overlaps.value };
    status.textContent = t("admin.grid.previewing");
    clearResult(main);
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const preview = await api("/grid/preview", { form: formData({ file, options }) });
      sent = { file, options, preview };
      status.textContent = "";
      showPreview(main, preview, () => apply(main, () => api("/grid/apply",
        { form: formData(sent, { preview_id: preview.preview_id }) })));
    } catch (err) {
      status.textContent = "";
      error.textContent = refusal(err);
    } finally {
      submit.disabled = false;
    }
  });
}

/** Empty the preview and job shown (a new preview is asked for). */
export function clearResult(main) {
  main.querySelector("#grid-result").hidden = true;
  main.querySelector("#grid-preview").innerHTML = "";
  main.querySelector("#grid-job").innerHTML = "";
  main.querySelector("#grid-apply-error").textContent = "";
}

/** A preview (of a file, or of generated cells: ``words`` names their summary, title and apply button) as
 * tables and on the map; ``onApply`` starts its job. */
export function showPreview(main, p, onApply, words = {}) {
  const w = { title: "admin.grid.result", summary: "admin.grid.summary", apply: "admin.grid.apply", ...words };
  const card = main.querySelector("#grid-result");
  card.hidden = false;
  card.querySelector("#grid-result-title").textContent = t(w.title);
  const result = main.querySelector("#grid-preview");
  const s = p.summary;
  const features = p.geojson.features;
  const geometryOf = (code, statuses) => features.filter((f) => f.properties.code === code && statuses.includes(f.properties.status))
    .map((f) => f.geometry).filter(Boolean);
  const show = (code, statuses) => (geometryOf(code, statuses).length
    ? `<button type="button" class="link" data-fly="${escapeHtml(code)}" data-statuses="${statuses.join(",")}"
        aria-label="${escapeHtml(t("admin.grid.show", { code }))}">${escapeHtml(code)}</button>`
    : `${escapeHtml(code || "—")}`);
  const table = (id, title, heads, rows) => (rows.length ? `<h4 id="${id}-title">${escapeHtml(title)} (${rows.length})</h4>
    <div class="table-wrap"><table class="grid-table" id="${id}" aria-labelledby="${id}-title"><thead><tr>${heads.map((h) =>
  `<th scope="col">${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table></div>` : "");
  const changedWhat = (c) => c.what.map((w) => t(`admin.grid.what.${w}`)).join(", ");
  const changedName = (c) => (c.what.includes("name") ? `${c.name_before} → ${c.name}` : c.name);
  const changes = s.added + s.changed;
  result.innerHTML = `<p class="summary" id="grid-summary">${escapeHtml(t(w.summary, s))}</p>
    ${p.blocked ? `<p class="warning" role="alert" id="grid-blocked">${escapeHtml(t("admin.grid.blocked", { why: p.blocked }))}</p>` : ""}
    ${table("grid-added", t("admin.grid.added"), [t("admin.grid.code"), t("admin.grid.name"), t("admin.grid.area")],
    p.added.map((a) => `<tr class="mark-added" data-code="${escapeHtml(a.code)}"><td>${show(a.code, ["added"])}</td>
      <td>${escapeHtml(a.name)}</td><td class="num">${fmt(a.area_m2)}</td></tr>`))}
    ${table("grid-changed", t("admin.grid.changed"), [t("admin.grid.code"), t("admin.grid.name"), t("admin.grid.what"),
    t("admin.grid.area_change"), t("admin.grid.shift")],
    p.changed.map((c) => `<tr class="mark-changed" data-code="${escapeHtml(c.code)}"><td>${show(c.code, ["changed", "before"])}</td>
      <td>${escapeHtml(changedName(c))}</td><td>${escapeHtml(changedWhat(c))}</td>
      <td class="num nowrap">${fmt(c.area_before_m2)} → ${fmt(c.area_after_m2)}</td>
      <td class="num nowrap">${fmt(c.centroid_shift_m, 1)}${c.moved ? ` <span class="badge">${escapeHtml(t("admin.grid.moved"))}</span>` : ""}</td></tr>`))}
    ${table("grid-refused", t("admin.grid.refused"), [t("admin.grid.feature"), t("admin.grid.code"), t("admin.grid.name"), t("admin.grid.reason")],
    p.refused.map((r) => `<tr class="bad" data-code="${escapeHtml(r.code)}"><td class="num">${r.feature}</td>
      <td>${show(r.code, ["refused"])}</td><td>${escapeHtml(r.name)}</td><td class="row-errors">${escapeHtml(r.reason)}</td></tr>`))}
    ${table("grid-repairs", t("admin.grid.repairs"), [t("admin.grid.feature"), t("admin.grid.code"), t("admin.grid.message")],
    p.repairs.map((r) => `<tr data-code="${escapeHtml(r.code)}"><td class="num">${r.feature}</td>
      <td>${show(r.code, ["added", "changed", "unchanged"])}</td><td>${escapeHtml(r.message)}</td></tr>`))}
    ${table("grid-overlaps", t("admin.grid.overlap_list"), [t("admin.grid.pair"), t("admin.grid.area")],
    p.overlaps.map((o) => `<tr><td>${show(o.a, ["added", "changed", "unchanged"])} · ${show(o.b, ["added", "changed", "unchanged"])}</td>
      <td class="num">${fmt(o.area_m2, 1)}</td></tr>`))}
    ${table("grid-missing", t("admin.grid.not_in_file"), [t("admin.grid.code"), t("admin.grid.name"), t("admin.grid.area"), t("admin.grid.workers")],
    p.not_in_file.map((m) => `<tr data-code="${escapeHtml(m.code)}"><td>${show(m.code, ["not_in_file"])}</td>
      <td>${escapeHtml(m.name)}</td><td class="num">${fmt(m.area_m2)}</td><td class="num">${m.workers}</td></tr>`))}
    <div class="buttons">${p.can_apply && changes
    ? `<button type="button" class="primary" id="grid-apply">${escapeHtml(t(w.apply, { n: changes }))}</button>`
    : `<span class="muted">${escapeHtml(p.can_apply ? t("admin.grid.apply_nothing") : "")}</span>`}</div>`;
  result.querySelectorAll("[data-fly]").forEach((b) => b.addEventListener("click", () => {
    flyTo(geometryOf(b.dataset.fly, b.dataset.statuses.split(",")), b.dataset.fly);
  }));
  result.querySelector("#grid-apply")?.addEventListener("click", (ev) => { ev.target.disabled = true; onApply(); });
  main.querySelector("#grid-legend").hidden = false;
  if (current) {
    current.preview = p;
    showOnMap(p);
  }
  applyI18n(result);
}

/** Start a job (``start``: the request that answers it) and follow it to its end. */
export async function apply(main, start) {
  const box = main.querySelector("#grid-job");
  const error = main.querySelector("#grid-apply-error");
  error.textContent = "";
  let job;
  try {
    job = await start();
  } catch (err) {
    error.textContent = refusal(err);
    const again = main.querySelector("#grid-apply");
    if (again) again.disabled = false;
    return;
  }
  box.innerHTML = `<section class="job" aria-labelledby="grid-job-title"><h4 id="grid-job-title">${escapeHtml(t("admin.grid.job", { id: job.id }))}</h4>
    <progress id="grid-progress" max="1" value="0" aria-labelledby="grid-job-title"></progress>
    <p id="grid-job-status" role="status" data-status="${escapeHtml(job.status)}"></p></section>`;
  const bar = box.querySelector("#grid-progress");
  const line = box.querySelector("#grid-job-status");
  const draw = (j) => {
    line.dataset.status = j.status;
    if (j.total) { bar.max = j.total; bar.value = j.done; }
    if (j.status === "done") {
      bar.max = 1; bar.value = 1;
      line.className = "ok";
      line.textContent = t("admin.grid.job.done", { added: 0, changed: 0, unchanged: 0, refused: 0, ...j.result });
    } else if (j.status === "failed") {
      line.className = "error";
      const why = j.result?.error ? errorText(0, { ...j.result, message: j.message }) : j.message;
      line.textContent = t("admin.grid.job.failed", { message: why });
    } else {
      line.textContent = j.status === "queued" ? t("admin.grid.job.queued") : t("admin.grid.job.running", j);
    }
  };
  draw(job);
  while (job.status === "queued" || job.status === "running") {
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (!box.isConnected) return;
    try {
      job = await api(`/jobs/${job.id}`);
    } catch (err) {
      error.textContent = refusal(err);
      return;
    }
    draw(job);
  }
  if (job.status === "done" && main.isConnected) {  // the tree and the map show the grid as it is now
    const levels = await loadLevels();
    if (!main.isConnected) return;
    drawTree(main, levels);
    wireGenerate(main, levels);
    if (current?.ready) {
      current.map.getSource("cells").setData(current.shift(levels.cell));
      current.map.getSource("communities").setData(current.shift(levels.community));
    }
  }
}
