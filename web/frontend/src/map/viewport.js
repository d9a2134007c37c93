// Large mode: more open cases in scope than one /map/cases answer lists (GRIDOPS_MAP_CASE_LIMIT). The page
// then never holds every case: areas are shaded from the server's counts (/map/cells?stats, communities in
// the overview, cells past CELL_ZOOM) with the count written on each area in view, and only the cases in
// view are fetched (/map/cases?bbox=…, the filters applied by the server), again after each move. When the
// view itself holds more than the limit, the server answers with a count only: the areas keep their counts
// and the list asks to zoom in.
import { api } from "../common/api.js";
import { decodeCases, since } from "./data.js";
import { areaLabel, CELL_ZOOM } from "./layers.js";

const WORST = { red: 3, yellow: 2, green: 1 };
const MAX_LABELS = 300;
const STATS_FRESH_MS = 15_000; // area counts younger than this are not asked again after a move
const FILTERS = ["status", "category", "department", "area", "urgency", "light"];

/** The /map/cases query of the page's filters ({status, category, department, area, urgency, light, time}). */
export function filterQuery(f) {
  const q = {};
  for (const key of FILTERS) if (f[key]) q[key] = f[key];
  const from = since(f.time);
  if (from !== null) q.created_from = new Date(from * 1000).toISOString();
  return q;
}

export class Viewport {
  /** {map, areas: {cell, community} (decoded), filters (live object), shifted (the map draws GCJ-02),
   *  onCases(cases): the cases in view replace the page's, onChange(): the list and its note to redraw} */
  constructor({ map, areas, filters, shifted, onCases, onChange }) {
    Object.assign(this, { map, areas, filters, shifted, onCases, onChange });
    this.box = null; // the WGS-84 box the page's cases were fetched for
    this.total = 0; // cases matching in that box
    this.tooMany = false; // more than the limit: no cases, area counts only
    this.seq = 0;
    this.counts = { cell: null, community: null }; // level → {code: [n, light]}, as last shaded
    this.shadedAt = { cell: 0, community: 0 };
    this.shown = { cell: new Set(), community: new Set() }; // codes with a feature state set
    this.labels = new Map(); // code → MapLibre marker
    this.centres = new Map();
    this.timer = null;
    this.shadeTimer = null;
  }

  level() { return this.map.getZoom() >= CELL_ZOOM ? "cell" : "community"; }

  /** After a move or a filter change: the cases in view, and the shading when it is stale. */
  schedule(delay = 250) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.cases(); this.shade(false); }, delay);
  }

  /** After live events: the counts may have changed (debounced). */
  dirty(delay = 1000) {
    this.shadedAt = { cell: 0, community: 0 }; // the other level too, when the zoom crosses CELL_ZOOM
    clearTimeout(this.shadeTimer);
    this.shadeTimer = setTimeout(() => this.shade(true), delay);
  }

  /** The view in WGS-84 (min_lng, min_lat, max_lng, max_lat), a little larger than what shows. */
  bbox() {
    const b = this.map.getBounds();
    const padX = (b.getEast() - b.getWest()) * 0.05 + (this.shifted ? 0.008 : 0); // GCJ-02 is off by < 700 m
    const padY = (b.getNorth() - b.getSouth()) * 0.05 + (this.shifted ? 0.008 : 0);
    const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
    return [clamp(b.getWest() - padX, -180, 180), clamp(b.getSouth() - padY, -90, 90),
      clamp(b.getEast() + padX, -180, 180), clamp(b.getNorth() + padY, -90, 90)].map((v) => Number(v.toFixed(6)));
  }

  async cases() {
    const seq = ++this.seq;
    const box = this.bbox();
    let payload;
    try {
      payload = await api("/map/cases", { query: { ...filterQuery(this.filters), bbox: box.join(",") } });
    } catch {
      return; // the next move or event asks again
    }
    if (seq !== this.seq) return; // the view moved on meanwhile
    this.box = box;
    this.total = payload.total;
    this.tooMany = payload.truncated;
    this.onCases(decodeCases(payload));
    this.drawLabels();
    this.onChange();
  }

  /** Whether a case fetched by id (a live event) belongs on screen: in the box of the cases shown. */
  wants(c) {
    const b = this.box;
    return Boolean(b) && !this.tooMany && c.lng >= b[0] && c.lng <= b[2] && c.lat >= b[1] && c.lat <= b[3];
  }

  async shade(force) {
    const level = this.level();
    if (!force && Date.now() - this.shadedAt[level] < STATS_FRESH_MS) { this.drawLabels(); return; }
    this.shadedAt[level] = Date.now();
    // cells: only those in view come with their outlines (the counts are for every cell with open cases)
    const query = { level, stats: "true", ...(level === "cell" ? { bbox: this.bbox().join(",") } : {}) };
    let payload;
    try {
      payload = await api("/map/cells", { query });
    } catch {
      this.shadedAt[level] = 0;
      return;
    }
    const stats = payload.stats || {};
    const source = level === "cell" ? "cells" : "communities";
    const areas = this.areas[level];
    const before = this.shown[level];
    const now = new Set();
    for (const [code, [n, light]] of Object.entries(stats)) {
      const id = areas?.index.get(code);
      if (id === undefined) continue;
      this.map.setFeatureState({ source, id }, { n, w: WORST[light] || 0 });
      now.add(code);
    }
    for (const code of before) {
      if (!now.has(code)) this.map.setFeatureState({ source, id: areas.index.get(code) }, { n: 0, w: 0 });
    }
    this.shown[level] = now;
    this.counts[level] = stats;
    this.drawLabels();
  }

  centre(level, code) {
    const key = `${level}:${code}`;
    let c = this.centres.get(key);
    if (!c) {
      const g = this.areas[level].features[this.areas[level].index.get(code)].geometry;
      const ring = (g.type === "Polygon" ? g.coordinates : g.coordinates[0])[0];
      let minx = Infinity; let miny = Infinity; let maxx = -Infinity; let maxy = -Infinity;
      for (const [x, y] of ring) {
        minx = Math.min(minx, x); maxx = Math.max(maxx, x); miny = Math.min(miny, y); maxy = Math.max(maxy, y);
      }
      c = [(minx + maxx) / 2, (miny + maxy) / 2];
      this.centres.set(key, c);
    }
    return c;
  }

  /** The count on each area in view while its cases are not shown one by one. */
  drawLabels() {
    const level = this.level();
    const stats = this.counts[level];
    const want = new Map();
    if (this.tooMany && stats) {
      const view = this.map.getBounds();
      for (const [code, [n, light]] of Object.entries(stats)) {
        if (want.size >= MAX_LABELS) break;
        if (!this.areas[level]?.index.has(code)) continue;
        const at = this.centre(level, code);
        if (view.contains(at)) want.set(`${level}:${code}`, { code, at, n, light });
      }
    }
    for (const [key, marker] of this.labels) {
      if (!want.has(key)) { marker.remove(); this.labels.delete(key); }
    }
    for (const [key, { code, at, n, light }] of want) {
      let marker = this.labels.get(key);
      if (!marker) {
        const el = document.createElement("div");
        el.className = "area-count";
        el.dataset.code = code;
        marker = areaLabel(this.map, at, el);
        this.labels.set(key, marker);
      }
      const el = marker.getElement();
      el.dataset.light = light;
      if (el.textContent !== String(n)) el.textContent = String(n);
    }
    this.map.getContainer().dataset.areaLabels = String(this.labels.size);
  }
}
