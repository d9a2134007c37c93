// A map of the grid's cells to pick a grid worker's cells by clicking them (a click toggles a cell; the
// chosen ones are filled). The cells come from GET /cells?level=cell; MapLibre is the bundled copy, loaded on
// first use, on the optional intranet base map (common/basemap.js): nothing is fetched from the internet.
import { api } from "../common/api.js";
import { addBaseLayer, basemap, shiftGeometry } from "../common/basemap.js";
import { mapLocale } from "../i18n/index.js";

let maplibre = null;
let cells = null; // the GeoJSON of every cell, loaded once

/** Draw the picker into ``box``; ``chosen`` is a Set of codes, ``onToggle(code)`` runs on a click.
 * ``onHover(code)`` names the cell under the pointer. Returns {update(chosen), remove()}. Sets box.dataset.ready when drawn; box.map is the MapLibre map. */
export async function cellPicker(box, chosen, onToggle, onHover = () => {}) {
  maplibre ||= import("/static/vendor/maplibre/maplibre-gl.mjs");
  cells ||= api("/cells", { query: { level: "cell" } });
  const [ml, cfg, all] = await Promise.all([maplibre, basemap(), cells]);
  if (!box.isConnected) return null;
  const data = { type: "FeatureCollection", features: all.features.map((f) => ({
    type: "Feature", properties: { code: f.properties.code }, geometry: shiftGeometry(f.geometry, cfg.toMap) })) };
  const bounds = [[Infinity, Infinity], [-Infinity, -Infinity]];
  const walk = (c) => {
    if (typeof c[0] === "number") {
      bounds[0] = [Math.min(bounds[0][0], c[0]), Math.min(bounds[0][1], c[1])];
      bounds[1] = [Math.max(bounds[1][0], c[0]), Math.max(bounds[1][1], c[1])];
    } else c.forEach(walk);
  };
  // the user's own cells when they have some (a district has thousands), else the whole grid
  const mine = data.features.filter((f) => chosen.has(f.properties.code));
  (mine.length ? mine : data.features).forEach((f) => walk(f.geometry.coordinates));
  const map = new ml.Map({
    container: box,
    style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f4" } }] },
    bounds: data.features.length ? bounds : undefined, fitBoundsOptions: { padding: mine.length ? 60 : 16, maxZoom: 17 },
    center: data.features.length ? undefined : [121.47, 31.23], zoom: data.features.length ? undefined : 12,
    attributionControl: false, fadeDuration: 0, locale: mapLocale(), dragRotate: false, pitchWithRotate: false,
  });
  box.map = map;
  map.addControl(new ml.NavigationControl({ showCompass: false }), "top-right");
  const paint = (set) => ["case", ["in", ["get", "code"], ["literal", [...set]]], 1, 0];
  map.on("load", () => {
    addBaseLayer(map, cfg);
    map.addSource("cells", { type: "geojson", data });
    map.addLayer({ id: "cells-fill", type: "fill", source: "cells",
      paint: { "fill-color": "#0b57d0", "fill-opacity": ["+", 0.04, ["*", 0.5, paint(chosen)]] } });
    map.addLayer({ id: "cells-line", type: "line", source: "cells", paint: { "line-color": "#52606d", "line-width": 1 } });
    map.addLayer({ id: "cells-chosen", type: "line", source: "cells", filter: ["in", ["get", "code"], ["literal", [...chosen]]],
      paint: { "line-color": "#0b57d0", "line-width": 3 } });
    map.on("click", "cells-fill", (ev) => {
      const code = ev.features?.[0]?.properties?.code;
      if (code) onToggle(code);
    });
    map.on("mousemove", "cells-fill", (ev) => {
      map.getCanvas().style.cursor = "pointer";
      onHover(ev.features?.[0]?.properties?.code || "");
    });
    map.on("mouseleave", "cells-fill", () => { map.getCanvas().style.cursor = ""; onHover(""); });
    map.once("idle", () => { box.dataset.ready = "true"; });
  });
  return {
    update(set) {
      if (!map.getLayer("cells-fill")) return;
      map.setPaintProperty("cells-fill", "fill-opacity", ["+", 0.04, ["*", 0.5, paint(set)]]);
      map.setFilter("cells-chosen", ["in", ["get", "code"], ["literal", [...set]]]);
    },
    remove() { map.remove(); },
  };
}
