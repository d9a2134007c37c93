// History mode of the control-room map: the cases reported in a past day or period (any status since), with a
// time slider that replays them as they came in, and a heat layer of cases per cell (per community when zoomed
// out). The live layers are hidden meanwhile and come back as they were; live data keeps arriving underneath.
import { api, escapeHtml, when } from "../common/api.js";
import { t } from "../i18n/index.js";
import { decodeCases, onMap } from "./data.js";

const LIVE_LAYERS = ["clusters", "case-points", "flash", "selected", "cell-fill", "community-fill"];
const COMMUNITY = 12;
const MAX_DAYS = 31;
const HEAT = (stops) => ["case", [">", ["coalesce", ["feature-state", "h"], 0], 0],
  ["interpolate", ["linear"], ["feature-state", "h"], ...stops], "rgba(0,0,0,0)"];
const CELL_HEAT = HEAT([1, "#4a1d0c", 3, "#9a3412", 8, "#ea580c", 20, "#fb923c", 50, "#fde68a"]);
const COMMUNITY_HEAT = HEAT([1, "#4a1d0c", 10, "#9a3412", 40, "#ea580c", 120, "#fb923c", 300, "#fde68a"]);

/** A local date (YYYY-MM-DD) at midnight in the service's time zone, as an ISO instant with its offset. */
function midnight(day, timeZone) {
  const probe = new Date(`${day}T12:00:00Z`);
  const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" }).formatToParts(probe)
    .find((p) => p.type === "timeZoneName")?.value || "GMT+08:00";
  const offset = name === "GMT" ? "+00:00" : name.replace("GMT", "");
  return `${day}T00:00:00${offset}`;
}

function localDay(date, timeZone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(date);
}

export class History {
  constructor({ map, bar, areas, statuses, timeZone, onChange }) {
    Object.assign(this, { map, bar, areas, statuses, timeZone, onChange });
    this.active = false;
    this.cases = [];
    this.heat = true;
    this.shaded = new Map(); // "cells"/"communities" → ids shaded now
  }

  enter() {
    this.active = true;
    for (const id of LIVE_LAYERS) if (this.map.getLayer(id)) this.map.setLayoutProperty(id, "visibility", "none");
    if (!this.map.getSource("history")) {
      this.map.addSource("history", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      this.map.addLayer({ id: "history-cell-heat", type: "fill", source: "cells", minzoom: 15,
        paint: { "fill-color": CELL_HEAT, "fill-antialias": false } }, "cell-line");
      this.map.addLayer({ id: "history-community-heat", type: "fill", source: "communities", maxzoom: 15,
        paint: { "fill-color": COMMUNITY_HEAT, "fill-antialias": false } }, "cell-line");
      this.map.addLayer({ id: "history-points", type: "circle", source: "history", paint: {
        "circle-color": ["case", ["get", "open"], "#f97316", "#94a3b8"],
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 3.5, 16, 7],
        "circle-stroke-color": "#060b14", "circle-stroke-width": 1 } });
    }
    for (const id of ["history-points", "history-cell-heat", "history-community-heat"]) {
      this.map.setLayoutProperty(id, "visibility", "visible");
    }
    const yesterday = localDay(new Date(Date.now() - 86_400_000), this.timeZone);
    this.renderBar(yesterday, yesterday);
    this.bar.hidden = false;
    this.load();
  }

  exit() {
    this.active = false;
    this.bar.hidden = true;
    this.clearHeat();
    for (const id of ["history-points", "history-cell-heat", "history-community-heat"]) {
      if (this.map.getLayer(id)) this.map.setLayoutProperty(id, "visibility", "none");
    }
    for (const id of LIVE_LAYERS) if (this.map.getLayer(id)) this.map.setLayoutProperty(id, "visibility", "visible");
    document.querySelector("#map").dataset.history = "";
    this.onChange?.(false);
  }

  /** The bar again in the page's language (a language switch), its dates, time and heat kept. */
  redraw() {
    if (!this.active) return;
    const bar = this.bar;
    const [from, to] = [bar.querySelector("#h-from").value, bar.querySelector("#h-to").value];
    const slider = bar.querySelector("#h-time");
    const [min, max, value] = [slider.min, slider.max, slider.value];
    this.renderBar(from, to);
    Object.assign(bar.querySelector("#h-time"), { min, max, value });
    this.show();
  }

  renderBar(from, to) {
    this.bar.innerHTML = `
      <label class="filter"><span>${escapeHtml(t("map.history.from"))}</span><input type="date" id="h-from" value="${from}"></label>
      <label class="filter"><span>${escapeHtml(t("map.history.to"))}</span><input type="date" id="h-to" value="${to}"></label>
      <button type="button" id="h-load" class="primary">${escapeHtml(t("map.history.load"))}</button>
      <label class="filter slider"><span id="h-until"></span><input type="range" id="h-time" min="0" max="0" step="60" value="0"
        aria-describedby="h-until"></label>
      <label class="check"><input type="checkbox" id="h-heat" ${this.heat ? "checked" : ""}> ${escapeHtml(t("map.history.heat"))}</label>
      <button type="button" id="h-exit">${escapeHtml(t("map.history.exit"))}</button>
      <span id="h-note" class="muted" role="status"></span>`;
    this.bar.querySelector("#h-load").addEventListener("click", () => this.load());
    this.bar.querySelector("#h-exit").addEventListener("click", () => this.exit());
    this.bar.querySelector("#h-time").addEventListener("input", () => this.show());
    this.bar.querySelector("#h-heat").addEventListener("change", (e) => { this.heat = e.target.checked; this.show(); });
  }

  async load() {
    const from = this.bar.querySelector("#h-from").value;
    const to = this.bar.querySelector("#h-to").value;
    const note = this.bar.querySelector("#h-note");
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (!from || !to || !(days >= 0) || days >= MAX_DAYS) {
      note.textContent = t("map.history.bad_range");
      return;
    }
    const end = localDay(new Date(Date.parse(`${to}T12:00:00Z`) + 86_400_000), "UTC");
    note.textContent = t("map.loading");
    const payload = await api("/map/cases", { query: { status: this.statuses.join(","),
      created_from: midnight(from, this.timeZone), created_to: midnight(end, this.timeZone) } });
    if (payload.truncated) {
      this.cases = [];
      note.textContent = t("map.history.too_many", { n: payload.total });
    } else {
      this.cases = decodeCases(payload).sort((a, b) => a.created - b.created);
      note.textContent = "";
    }
    this.start = Date.parse(midnight(from, this.timeZone)) / 1000;
    this.end = Date.parse(midnight(end, this.timeZone)) / 1000;
    const slider = this.bar.querySelector("#h-time");
    slider.min = String(this.start);
    slider.max = String(this.end);
    slider.value = String(this.end);
    this.show();
  }

  /** The cases reported up to the slider's time, and the heat of their cells. */
  show() {
    const until = Number(this.bar.querySelector("#h-time").value);
    const shown = this.cases.filter((c) => c.created <= until);
    const features = shown.map((c) => ({ type: "Feature", id: c.id, geometry: { type: "Point", coordinates: onMap(c) },
      properties: { id: c.id, open: !["closed", "void", "rejected", "merged"].includes(c.status) } }));
    this.map.getSource("history").setData({ type: "FeatureCollection", features });
    this.clearHeat();
    if (this.heat) {
      const counts = new Map();
      for (const c of shown) for (const key of [c.cell, c.cell.slice(0, COMMUNITY)]) counts.set(key, (counts.get(key) || 0) + 1);
      for (const [code, n] of counts) {
        const [source, areas] = code.length === COMMUNITY ? ["communities", this.areas.community] : ["cells", this.areas.cell];
        const id = areas?.index.get(code);
        if (id === undefined) continue;
        this.map.setFeatureState({ source, id }, { h: n });
        if (!this.shaded.has(source)) this.shaded.set(source, []);
        this.shaded.get(source).push(id);
      }
    }
    this.bar.querySelector("#h-until").textContent = t("map.history.until",
      { t: when(new Date(until * 1000).toISOString()), n: shown.length });
    const el = document.querySelector("#map");
    el.dataset.history = String(shown.length);
    this.onChange?.(true, shown);
  }

  clearHeat() {
    for (const [source, ids] of this.shaded) for (const id of ids) this.map.setFeatureState({ source, id }, { h: 0 });
    this.shaded.clear();
  }
}
