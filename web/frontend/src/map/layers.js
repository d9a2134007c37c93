// MapLibre GL with no base tiles: the grid is the base map. Cells (close in) and communities (the overview)
// are shaded through feature-state (no re-upload of 40,000 polygons when a count changes); cases are a clustered GeoJSON source updated with
// diffs; boundaries of communities, streets and districts appear at their zoom levels.
// MapLibre (about 1 MB) is imported dynamically, so the page's data requests start while it loads.
import { mapLocale } from "../i18n/index.js";

let ml = null;
export const mapLibreLoaded = import("/static/vendor/maplibre/maplibre-gl.mjs").then((m) => {
  ml = m;
  // two workers even on a two-core machine: the cells and the cases sources are prepared in parallel
  if (m.getWorkerCount() < 2) m.setWorkerCount(2);
  return m;
});

export const COLORS = { green: "#22c55e", yellow: "#facc15", red: "#ef4444", none: "#94a3b8" };
const BASE = "#0f1a2b";

const COUNT_FILL = ["case", [">", ["coalesce", ["feature-state", "n"], 0], 0],
  ["interpolate", ["linear"], ["feature-state", "n"], 1, "#1e3a5f", 3, "#2563a8", 6, "#3b8fe0", 12, "#7cc4ff", 25, "#dbeeff"],
  BASE];
// communities hold hundreds of cells: the same colours for proportionally more cases
const COMMUNITY_COUNT_FILL = ["case", [">", ["coalesce", ["feature-state", "n"], 0], 0],
  ["interpolate", ["linear"], ["feature-state", "n"], 1, "#1e3a5f", 10, "#2563a8", 40, "#3b8fe0", 120, "#7cc4ff", 300, "#dbeeff"],
  BASE];
const LIGHT_FILL = ["match", ["coalesce", ["feature-state", "w"], 0], 3, "#b91c1c", 2, "#a16207", 1, "#166534", BASE];
// Level of detail: below this zoom a ~100 m cell is a few pixels wide, so the overview is shaded by
// community and the cells (40,000 polygons in a large district) are only tiled and drawn closer in.
export const CELL_ZOOM = 12.5;

export function createMap(container, bounds) {
  const map = new ml.Map({
    container,
    style: { version: 8, sources: {}, layers: [{ id: "background", type: "background", paint: { "background-color": "#060b14" } }] },
    bounds: bounds || [[121.3, 31.1], [121.6, 31.3]],
    fitBoundsOptions: { padding: 24 },
    attributionControl: false,
    dragRotate: false,
    pitchWithRotate: false,
    maxZoom: 19,
    fadeDuration: 0,
    locale: mapLocale(),
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new ml.NavigationControl({ showCompass: false }), "top-left");
  map.addControl(new ml.ScaleControl({ unit: "metric" }), "bottom-left");
  return map;
}

/** The layers; with ``deferCells`` the cells source starts empty (the overview does not draw cells) and
 * ``loadCells`` fills it once the first frame is up, so 40,000 polygons do not hold up the first render. */
export function addLayers(map, { cells, communities, streets, districts }, { deferCells = false } = {}) {
  const empty = { type: "FeatureCollection", features: [] };
  const fc = (features) => ({ type: "FeatureCollection", features });
  map.addSource("cells", { type: "geojson", data: deferCells ? empty : fc(cells), tolerance: 0.6, buffer: 8 });
  map.addSource("communities", { type: "geojson", data: fc(communities), tolerance: 0.6, buffer: 4 });
  map.addSource("streets", { type: "geojson", data: fc(streets), tolerance: 0.6, buffer: 4 });
  map.addSource("districts", { type: "geojson", data: fc(districts), tolerance: 0.6, buffer: 4 });
  map.addSource("cases", {
    type: "geojson", data: empty, cluster: true, clusterMaxZoom: 15, clusterRadius: 44, buffer: 32,
    clusterProperties: {
      red: ["+", ["case", ["==", ["get", "light"], "red"], 1, 0]],
      yellow: ["+", ["case", ["==", ["get", "light"], "yellow"], 1, 0]],
    },
  });
  map.addSource("flash", { type: "geojson", data: empty });
  map.addSource("selected", { type: "geojson", data: empty });

  map.addLayer({ id: "community-fill", type: "fill", source: "communities", maxzoom: CELL_ZOOM,
    paint: { "fill-color": COMMUNITY_COUNT_FILL, "fill-antialias": false } });
  map.addLayer({ id: "cell-fill", type: "fill", source: "cells", minzoom: CELL_ZOOM,
    paint: { "fill-color": COUNT_FILL, "fill-antialias": false } });
  map.addLayer({ id: "cell-line", type: "line", source: "cells", minzoom: 14,
    paint: { "line-color": "#2b3d57", "line-width": 0.6 } });
  map.addLayer({ id: "community-line", type: "line", source: "communities", minzoom: 12,
    paint: { "line-color": "#5b7aa6", "line-width": 1.2 } });
  map.addLayer({ id: "street-line", type: "line", source: "streets", minzoom: 10,
    paint: { "line-color": "#9db7dc", "line-width": ["interpolate", ["linear"], ["zoom"], 10, 1, 15, 2.2] } });
  map.addLayer({ id: "district-line", type: "line", source: "districts",
    paint: { "line-color": "#e2ecff", "line-width": ["interpolate", ["linear"], ["zoom"], 8, 1.5, 15, 3.5] } });
  map.addLayer({ id: "clusters", type: "circle", source: "cases", filter: ["has", "point_count"],
    paint: {
      "circle-color": ["case", [">", ["get", "red"], 0], COLORS.red, [">", ["get", "yellow"], 0], COLORS.yellow, COLORS.green],
      "circle-radius": ["interpolate", ["linear"], ["get", "point_count"], 2, 13, 50, 19, 500, 26, 5000, 34],
      "circle-stroke-color": "#060b14", "circle-stroke-width": 2.5, "circle-opacity": 0.92,
    } });
  map.addLayer({ id: "case-points", type: "circle", source: "cases", filter: ["!", ["has", "point_count"]],
    paint: {
      "circle-color": ["match", ["get", "light"], "red", COLORS.red, "yellow", COLORS.yellow, "green", COLORS.green, COLORS.none],
      "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 5, 16, 9],
      "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.6,
    } });
  map.addLayer({ id: "flash", type: "circle", source: "flash",
    paint: { "circle-color": "rgba(0,0,0,0)", "circle-radius": 12, "circle-stroke-color": COLORS.red, "circle-stroke-width": 4 } });
  map.addLayer({ id: "selected", type: "circle", source: "selected",
    paint: { "circle-color": "rgba(0,0,0,0)", "circle-radius": 15, "circle-stroke-color": "#ffffff", "circle-stroke-width": 3 } });
}

export function loadCells(map, cells) {
  map.getSource("cells").setData({ type: "FeatureCollection", features: cells });
}

export function setShading(map, mode) {
  map.setPaintProperty("cell-fill", "fill-color", mode === "light" ? LIGHT_FILL : COUNT_FILL);
  map.setPaintProperty("community-fill", "fill-color", mode === "light" ? LIGHT_FILL : COMMUNITY_COUNT_FILL);
}

/** Cluster counts as HTML labels (the map has no glyph server: nothing is fetched from the internet). */
export function clusterLabels(map) {
  const pool = new Map();
  let pending = false;
  function refresh() {
    pending = false;
    if (!map.getSource("cases") || !map.isSourceLoaded("cases")) return;
    const seen = new Set();
    const bounds = map.getBounds();
    for (const f of map.querySourceFeatures("cases", { filter: ["has", "point_count"] })) {
      const id = f.properties.cluster_id;
      if (seen.has(id) || seen.size > 400) continue;
      const [lng, lat] = f.geometry.coordinates;
      if (!bounds.contains([lng, lat])) continue;
      seen.add(id);
      const text = f.properties.point_count_abbreviated ?? String(f.properties.point_count);
      let marker = pool.get(id);
      if (!marker) {
        const el = document.createElement("div");
        el.className = "cluster-label";
        marker = new ml.Marker({ element: el }).setLngLat([lng, lat]).addTo(map);
        pool.set(id, marker);
      } else {
        marker.setLngLat([lng, lat]);
      }
      if (marker.getElement().textContent !== String(text)) marker.getElement().textContent = text;
    }
    for (const [id, marker] of pool) {
      if (!seen.has(id)) { marker.remove(); pool.delete(id); }
    }
  }
  const schedule = () => { if (!pending) { pending = true; requestAnimationFrame(refresh); } };
  map.on("moveend", schedule);
  map.on("sourcedata", (e) => { if (e.sourceId === "cases" && e.isSourceLoaded) schedule(); });
  return schedule;
}

/** A ring pulsing round the given points for a few seconds (a breach); a still ring for those who asked
 * their system for less motion (MapLibre's own camera moves follow the same setting). */
export function flash(map, points, seconds = 6) {
  const source = map.getSource("flash");
  source.setData({ type: "FeatureCollection", features: points.map((p) => ({ type: "Feature", geometry: { type: "Point", coordinates: p }, properties: {} })) });
  if (matchMedia("(prefers-reduced-motion: reduce)").matches) {
    map.setPaintProperty("flash", "circle-radius", 22);
    map.setPaintProperty("flash", "circle-stroke-opacity", 1);
    setTimeout(() => source.setData({ type: "FeatureCollection", features: [] }), seconds * 1000);
    return;
  }
  const start = performance.now();
  function step(now) {
    // a frame's time can precede start (the frame began before flash() was called): never a negative phase,
    // which made the opacity more than 1 (MapLibre's error in the console)
    const t = Math.max(0, (now - start) / 1000);
    if (t > seconds) {
      source.setData({ type: "FeatureCollection", features: [] });
      return;
    }
    const phase = (t % 1);
    map.setPaintProperty("flash", "circle-radius", 10 + phase * 26);
    map.setPaintProperty("flash", "circle-stroke-opacity", 1 - phase);
    requestAnimationFrame(step);
  }
  requestAnimationFrame(step);
}

export function select(map, point) {
  map.getSource("selected").setData({ type: "FeatureCollection",
    features: point ? [{ type: "Feature", geometry: { type: "Point", coordinates: point }, properties: {} }] : [] });
}

/** An HTML label on the map (an area's count: no glyph server, as for the clusters). */
export function areaLabel(map, lngLat, element) {
  return new ml.Marker({ element }).setLngLat(lngLat).addTo(map);
}
