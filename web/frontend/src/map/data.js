// The map's data: areas decoded from the compact /map/cells payload, the open cases from /map/cases,
// and the filters applied to them in the page (so a filter narrows map and list at once, instantly).
// the open states as the page starts; main.js replaces them with the lifecycle table's (GET /lifecycle)
export const OPEN = ["verifying", "verify_disputed", "reported", "registered", "dispatched", "accepted", "return_requested",
  "extension_requested", "suspension_requested", "suspended", "resolved", "rework", "checked", "void_requested"];
export const TERMINAL = new Set(["rejected", "closed", "void", "merged"]);
export const LIGHT_RANK = { red: 3, yellow: 2, green: 1 };

let toMap = (lng, lat) => [lng, lat];

/** Where the map draws WGS-84 positions: shifted to GCJ-02 on a GCJ-02 base map (common/basemap.js). */
export function setDisplay(to) { toMap = to; }

/** [lng, lat] of a case (or any {lng, lat}) on the map. */
export function onMap(p) { return toMap(p.lng, p.lat); }

/** {codes, names, geoms, scale} → {features, bounds, index: code → feature id, names: code → name};
 * coordinates as the map draws them (see setDisplay). */
export function decodeAreas(payload) {
  const { codes, names, geoms, scale } = payload;
  const features = new Array(codes.length);
  const index = new Map();
  const nameOf = new Map();
  let minx = Infinity; let miny = Infinity; let maxx = -Infinity; let maxy = -Infinity;
  for (let i = 0; i < codes.length; i++) {
    const polygons = geoms[i].map((rings) => rings.map((ring) => {
      const out = new Array(ring.length / 2 + 1);
      let x = 0; let y = 0;
      for (let k = 0; k < ring.length; k += 2) {
        x += ring[k]; y += ring[k + 1];
        const [lng, lat] = toMap(x / scale, y / scale);
        out[k / 2] = [lng, lat];
        if (lng < minx) minx = lng; if (lng > maxx) maxx = lng;
        if (lat < miny) miny = lat; if (lat > maxy) maxy = lat;
      }
      out[out.length - 1] = out[0];
      return out;
    }));
    features[i] = {
      type: "Feature", id: i, properties: { code: codes[i] },
      geometry: polygons.length === 1 ? { type: "Polygon", coordinates: polygons[0] }
        : { type: "MultiPolygon", coordinates: polygons },
    };
    index.set(codes[i], i);
    nameOf.set(codes[i], names[i]);
  }
  return { features, index, names: nameOf, bounds: codes.length ? [[minx, miny], [maxx, maxy]] : null };
}

/** Rows of /map/cases → case objects, stamped with when they were read (for countdowns). */
export function decodeCases(payload) {
  const fields = payload.fields;
  const at = Date.now();
  return payload.rows.map((row) => {
    const c = { loadedAt: at };
    for (let i = 0; i < fields.length; i++) c[fields[i]] = row[i];
    return c;
  });
}

export function remainingNow(c) {
  if (c.remaining_s === null || c.remaining_s === undefined) return null;
  return c.remaining_s - (Date.now() - c.loadedAt) / 1000;
}

const HOUR = 3600 * 1000;

/** The lower bound (epoch seconds) of a time-range choice, or null for any time. */
export function since(choice, now = Date.now()) {
  if (!choice) return null;
  if (choice === "today") {
    const d = new Date(now);
    d.setHours(0, 0, 0, 0);
    return d.getTime() / 1000;
  }
  const hours = { "1h": 1, "24h": 24, "7d": 24 * 7, "30d": 24 * 30 }[choice];
  return hours ? (now - hours * HOUR) / 1000 : null;
}

/** A predicate for the current filters: {status, category, department, area, urgency, light, time}. */
export function matcher(f) {
  const from = since(f.time);
  return (c) => {
    if (TERMINAL.has(c.status)) return false;
    if (f.status && c.status !== f.status) return false;
    if (f.category && !c.category.startsWith(f.category)) return false;
    if (f.department === "-") { if (c.department) return false; } else if (f.department && c.department !== f.department) return false;
    if (f.area && !c.cell.startsWith(f.area)) return false;
    if (f.urgency && c.urgency !== f.urgency) return false;
    if (f.light && (c.light || "none") !== f.light) return false;
    if (from !== null && c.created < from) return false;
    return true;
  };
}

/** Worst first: red, yellow, green, then the least time left. */
export function byUrgency(a, b) {
  const la = LIGHT_RANK[a.light] || 0; const lb = LIGHT_RANK[b.light] || 0;
  if (la !== lb) return lb - la;
  return (a.remaining_s ?? Infinity) - (b.remaining_s ?? Infinity);
}

export function caseFeature(c) {
  return { type: "Feature", id: c.id, geometry: { type: "Point", coordinates: toMap(c.lng, c.lat) },
    properties: { id: c.id, light: c.light || "none" } };
}

/** Metres between two WGS-84 points (equirectangular; fine at city scale). */
export function metres(a, b) {
  const k = Math.PI / 180;
  const x = (b.lng - a.lng) * k * Math.cos(((a.lat + b.lat) / 2) * k);
  const y = (b.lat - a.lat) * k;
  return Math.sqrt(x * x + y * y) * 6371000;
}
