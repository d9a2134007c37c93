// Step 1, where: a MapLibre map with no base tiles, the grid cells being the base map (nothing is fetched
// from the internet, and the cells are cached for offline use), the phone's position with its accuracy
// circle, and a pin the worker drags or puts down with a tap when the position is wrong or denied.
// Positions here are WGS-84; only what MapLibre draws is shifted when a GCJ-02 base map is configured.
import { addBaseLayer, basemap, shiftGeometry } from "../common/basemap.js";
import { mapLocale, t } from "../i18n/index.js";

let ml = null;
const mapLibreLoaded = import("/static/vendor/maplibre/maplibre-gl.mjs").then((m) => { ml = m; return m; });

const TILE = 0.01;  // cells are fetched per 0.01° square (about 1 km), so the offline cache stays small
const EMPTY = { type: "FeatureCollection", features: [] };

/** A polygon approximating a circle of `metres` around a point (the accuracy of a GPS fix). */
function circle(lng, lat, metres, steps = 48) {
  const dLat = metres / 111_320;
  const dLng = metres / (111_320 * Math.cos((lat * Math.PI) / 180));
  const ring = [];
  for (let i = 0; i <= steps; i += 1) {
    const a = (i / steps) * 2 * Math.PI;
    ring.push([lng + dLng * Math.cos(a), lat + dLat * Math.sin(a)]);
  }
  return { type: "Feature", geometry: { type: "Polygon", coordinates: [ring] }, properties: {} };
}

function insideRing(ring, x, y) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function contains(geometry, x, y) {
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  return polygons.some((rings) => insideRing(rings[0], x, y) && !rings.slice(1).some((hole) => insideRing(hole, x, y)));
}

export class WhereMap {
  /** fetchCells(query) → GeoJSON (GET /cells); onPick(lng, lat) when the worker drags the pin or taps. */
  constructor(container, { fetchCells, ownCells, onPick }) {
    this.container = container;
    this.fetchCells = fetchCells;
    this.ownCells = new Set(ownCells);
    this.onPick = onPick;
    this.cells = new Map();  // code → feature
    this.tiles = new Set();
    this.ready = this.init();
  }

  async init() {
    const [base] = await Promise.all([basemap(), mapLibreLoaded]);
    this.toMap = base.toMap;
    this.fromMap = base.fromMap;
    const map = new ml.Map({
      container: this.container,
      style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#d5dbe1" } }] },
      center: [121.47, 31.23], zoom: 15, maxZoom: 19, minZoom: 10,
      attributionControl: false, dragRotate: false, pitchWithRotate: false, fadeDuration: 0, locale: mapLocale(),
    });
    map.touchZoomRotate.disableRotation();
    map.addControl(new ml.NavigationControl({ showCompass: false }), "top-right");
    map.addControl(new ml.ScaleControl({ unit: "metric" }), "bottom-left");
    await new Promise((resolve) => map.on("load", resolve));
    addBaseLayer(map, base);
    map.addSource("cells", { type: "geojson", data: EMPTY });
    map.addSource("here", { type: "geojson", data: EMPTY });
    map.addSource("accuracy", { type: "geojson", data: EMPTY });
    map.addLayer({ id: "cell-fill", type: "fill", source: "cells",
      paint: { "fill-color": ["case", ["get", "own"], "#ffffff", "#eef1f4"], "fill-antialias": false } });
    map.addLayer({ id: "here-fill", type: "fill", source: "here", paint: { "fill-color": "#ffd54f" } });
    map.addLayer({ id: "cell-line", type: "line", source: "cells",
      paint: { "line-color": ["case", ["get", "own"], "#0b57d0", "#6b7885"], "line-width": ["case", ["get", "own"], 1.6, 1] } });
    map.addLayer({ id: "here-line", type: "line", source: "here", paint: { "line-color": "#8a5a00", "line-width": 3 } });
    map.addLayer({ id: "accuracy-fill", type: "fill", source: "accuracy", paint: { "fill-color": "rgba(11,87,208,0.16)" } });
    map.addLayer({ id: "accuracy-line", type: "line", source: "accuracy", paint: { "line-color": "#0b57d0", "line-width": 1.5 } });
    this.map = map;
    window.__gridopsWhereMap = map; // for the tests and for debugging from the console
    this.pin = new ml.Marker({ color: "#d93025", draggable: true, scale: 1.3 });
    this.pin.on("dragend", () => { const p = this.pin.getLngLat(); this.onPick(...this.fromMap(p.lng, p.lat)); });
    map.on("click", (e) => this.onPick(...this.fromMap(e.lngLat.lng, e.lngLat.lat)));
    map.on("moveend", () => this.loadVisible());
    await this.loadOwn();
    this.container.dataset.ready = "1";
    return map;
  }

  /** The pin's label in the page's language (MapLibre names it once, from the map's locale: a language switch). */
  relabel() {
    this.pin?.getElement().setAttribute("aria-label", t("maplibre.Marker.Title"));
  }

  async loadOwn() {
    const codes = [...this.ownCells];
    if (!codes.length) return;
    let prefix = codes[0];
    for (const c of codes) while (!c.startsWith(prefix)) prefix = prefix.slice(0, -1);
    const fc = await this.fetchCells({ within: prefix.slice(0, 12) || prefix }).catch(() => null);
    if (!fc) return;
    this.add(fc.features.filter((f) => this.ownCells.has(f.properties.code)));
    if (!this.point) {
      const b = new ml.LngLatBounds();
      for (const f of this.cells.values()) for (const p of flatten(f.geometry)) b.extend(this.toMap(...p));
      if (!b.isEmpty()) this.map.fitBounds(b, { padding: 24, duration: 0 });
    }
  }

  add(features) {
    for (const f of features) {
      f.properties.own = this.ownCells.has(f.properties.code);
      this.cells.set(f.properties.code, f);
    }
    this.map.getSource("cells").setData(this.drawn([...this.cells.values()]));
    this.highlight();
  }

  async loadVisible() {
    if (this.map.getZoom() < 13) return;
    const view = this.map.getBounds();
    const [west, south] = this.fromMap(view.getWest(), view.getSouth());
    const [east, north] = this.fromMap(view.getEast(), view.getNorth());
    const jobs = [];
    for (let x = Math.floor(west / TILE); x <= Math.floor(east / TILE); x += 1) {
      for (let y = Math.floor(south / TILE); y <= Math.floor(north / TILE); y += 1) {
        const key = `${x},${y}`;
        if (this.tiles.has(key)) continue;
        this.tiles.add(key);
        const bbox = [x * TILE, y * TILE, (x + 1) * TILE, (y + 1) * TILE].map((v) => v.toFixed(2)).join(",");
        jobs.push(this.fetchCells({ bbox }).then((fc) => fc.features).catch(() => { this.tiles.delete(key); return []; }));
      }
    }
    if (jobs.length) this.add((await Promise.all(jobs)).flat());
  }

  /** Put the pin (and, for a GPS fix, the accuracy circle) at a point; recentre when asked. */
  show(lng, lat, { accuracy = null, fly = false } = {}) {
    this.point = [lng, lat];
    const drawn = this.toMap(lng, lat);
    this.pin.setLngLat(drawn).addTo(this.map);
    this.map.getSource("accuracy").setData(accuracy ? { type: "FeatureCollection", features: [circle(...drawn, accuracy)] } : EMPTY);
    if (fly) this.map.jumpTo({ center: drawn, zoom: Math.max(this.map.getZoom(), 17) });
    this.highlight();
  }

  /** Show the point together with the worker's own cells: where to go when the point is outside. */
  fitWithOwn(lng, lat) {
    if (!this.map) return;
    const here = this.toMap(lng, lat);
    const b = new ml.LngLatBounds(here, here);
    for (const f of this.cells.values()) if (f.properties.own) for (const p of flatten(f.geometry)) b.extend(this.toMap(...p));
    this.map.fitBounds(b, { padding: 32, duration: 0, maxZoom: 17 });
  }

  /** The loaded cell containing the point (smallest code on a shared edge), for use without signal. */
  cellAt(lng, lat) {
    const codes = [...this.cells.keys()].sort();
    const code = codes.find((c) => contains(this.cells.get(c).geometry, lng, lat));
    return code ? this.cells.get(code).properties : null;
  }

  highlight() {
    if (!this.map || !this.point) return;
    const cell = this.cellAt(...this.point);
    this.map.getSource("here").setData(cell ? this.drawn([this.cells.get(cell.code)]) : EMPTY);
  }

  /** Features as MapLibre should draw them (shifted onto a GCJ-02 base map). */
  drawn(features) {
    return { type: "FeatureCollection",
      features: features.map((f) => ({ ...f, geometry: shiftGeometry(f.geometry, this.toMap) })) };
  }

  resize() { this.map?.resize(); }
}

function flatten(geometry) {
  return geometry.type === "Polygon" ? geometry.coordinates.flat() : geometry.coordinates.flat(2);
}
