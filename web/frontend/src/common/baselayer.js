// The base map's drawing, without reading its settings (common/basemap.js reads them for the staff pages,
// the public page from /public/v1/basemap): the raster layer, and the shift between WGS-84 and GCJ-02 for
// tiles drawn in GCJ-02.
import gcoord from "gcoord";

export const SAME = (lng, lat) => [lng, lat];

/** The settings ({tiles, crs, attribution, max_zoom}) with the shifts to and from what the map draws. */
export function withShifts(cfg) {
  const shifted = cfg.tiles.length > 0 && cfg.crs === "gcj02";
  return {
    ...cfg,
    shifted,
    toMap: shifted ? (lng, lat) => gcoord.transform([lng, lat], gcoord.WGS84, gcoord.GCJ02) : SAME,
    fromMap: shifted ? (lng, lat) => gcoord.transform([lng, lat], gcoord.GCJ02, gcoord.WGS84) : SAME,
  };
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
