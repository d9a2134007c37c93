// The optional base map. Without one the grid itself is the base map and nothing is fetched from
// anywhere. An intranet tile server can be configured (GRIDOPS_MAP_TILES_URL, a {z}/{x}/{y} template);
// when its tiles are drawn in GCJ-02 (AMap, Tencent and most Chinese street maps) everything the pages
// draw is shifted from WGS-84 to GCJ-02 to sit on it, and a point picked on the map is shifted back.
// Data stays WGS-84 everywhere else: only what is handed to MapLibre is shifted.
import gcoord from "gcoord";
import { api } from "./api.js";

const SAME = (lng, lat) => [lng, lat];

let loaded = null;

/** {tiles: [template] | [], crs: "wgs84" | "gcj02", attribution, max_zoom, toMap, fromMap} */
export function basemap() {
  loaded ||= api("/map/basemap").catch(() => ({ tiles: [], crs: "wgs84", attribution: "", max_zoom: 19 }))
    .then((cfg) => {
      const shifted = cfg.tiles.length > 0 && cfg.crs === "gcj02";
      return {
        ...cfg,
        shifted,
        toMap: shifted ? (lng, lat) => gcoord.transform([lng, lat], gcoord.WGS84, gcoord.GCJ02) : SAME,
        fromMap: shifted ? (lng, lat) => gcoord.transform([lng, lat], gcoord.GCJ02, gcoord.WGS84) : SAME,
      };
    });
  return loaded;
}

/** Add the raster base layer under everything else, when one is configured. */
export function addBaseLayer(map, cfg) {
  if (!cfg.tiles.length) return;
  map.addSource("base", { type: "raster", tiles: cfg.tiles, tileSize: 256, maxzoom: cfg.max_zoom,
    attribution: cfg.attribution || undefined });
  const first = map.getStyle().layers.find((l) => l.type !== "background");
  map.addLayer({ id: "base", type: "raster", source: "base" }, first?.id);
}

/** A GeoJSON geometry with every position passed through `to` (a copy; the input is not touched). */
export function shiftGeometry(geometry, to) {
  if (to === SAME) return geometry;
  const walk = (c) => (typeof c[0] === "number" ? to(c[0], c[1]) : c.map(walk));
  return { ...geometry, coordinates: walk(geometry.coordinates) };
}
