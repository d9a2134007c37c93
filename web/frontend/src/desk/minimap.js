// A small map of the case's place: its cell's outline and the reported point, on the optional base map.
// MapLibre GL is the bundled copy the control-room map uses, loaded only when a case is opened.
import { api } from "../common/api.js";
import { addBaseLayer, basemap, shiftGeometry } from "../common/basemap.js";
import { mapLocale } from "../i18n/index.js";

let maplibre = null;
let current = null;

/** Draw the case into ``box`` (replacing the previous small map). Sets ``data-ready`` when drawn. */
export async function showMinimap(box, d) {
  current?.remove();
  current = null;
  maplibre ||= import("/static/vendor/maplibre/maplibre-gl.mjs");
  const [ml, cfg, cells] = await Promise.all([maplibre, basemap(),
    api("/cells", { query: { level: "cell", within: d.cell_code } }).catch(() => ({ features: [] }))]);
  if (!box.isConnected) return;
  const cell = cells.features.find((f) => f.properties.code === d.cell_code);
  const point = cfg.toMap(d.lng, d.lat);
  const map = new ml.Map({
    container: box,
    style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f4" } }] },
    center: point, zoom: 17, interactive: false, attributionControl: false, fadeDuration: 0, locale: mapLocale(),
  });
  current = map;
  map.on("load", () => {
    addBaseLayer(map, cfg);
    if (cell) {
      map.addSource("cell", { type: "geojson", data: { type: "Feature", properties: {}, geometry: shiftGeometry(cell.geometry, cfg.toMap) } });
      map.addLayer({ id: "cell-fill", type: "fill", source: "cell", paint: { "fill-color": "#0b57d0", "fill-opacity": 0.08 } });
      map.addLayer({ id: "cell-line", type: "line", source: "cell", paint: { "line-color": "#0b57d0", "line-width": 2.5 } });
      const ring = cell.geometry.type === "Polygon" ? cell.geometry.coordinates[0] : cell.geometry.coordinates[0][0];
      const xs = ring.map((c) => cfg.toMap(c[0], c[1]));
      const lngs = xs.map((c) => c[0]);
      const lats = xs.map((c) => c[1]);
      map.fitBounds([[Math.min(...lngs, point[0]), Math.min(...lats, point[1])],
        [Math.max(...lngs, point[0]), Math.max(...lats, point[1])]], { padding: 24, duration: 0 });
    }
    map.addSource("case", { type: "geojson", data: { type: "Feature", properties: {}, geometry: { type: "Point", coordinates: point } } });
    map.addLayer({ id: "case", type: "circle", source: "case",
      paint: { "circle-radius": 7, "circle-color": "#d93025", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
    map.once("idle", () => {
      box.dataset.ready = "true";
      box.dataset.cell = cell ? d.cell_code : "";
    });
  });
}

export function dropMinimap() {
  current?.remove();
  current = null;
}
