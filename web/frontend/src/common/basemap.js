// The optional base map. Without one the grid itself is the base map and nothing is fetched from
// anywhere. An intranet tile server can be configured (GRIDOPS_MAP_TILES_URL, a {z}/{x}/{y} template);
// when its tiles are drawn in GCJ-02 (AMap, Tencent and most Chinese street maps) everything the pages
// draw is shifted from WGS-84 to GCJ-02 to sit on it, and a point picked on the map is shifted back.
// Data stays WGS-84 everywhere else: only what is handed to MapLibre is shifted.
import { api } from "./api.js";
import { withShifts } from "./baselayer.js";

export { addBaseLayer, shiftGeometry } from "./baselayer.js";

let loaded = null;

/** {tiles: [template] | [], crs: "wgs84" | "gcj02", attribution, max_zoom, toMap, fromMap} */
export function basemap() {
  loaded ||= api("/map/basemap").catch(() => ({ tiles: [], crs: "wgs84", attribution: "", max_zoom: 19 }))
    .then(withShifts);
  return loaded;
}
