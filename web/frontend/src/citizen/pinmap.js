// The map to put a pin on, loaded only when the citizen asks for it: MapLibre (about 300 KB compressed)
// and its stylesheet are not part of the page's first load. The managed area's communities are drawn on the
// service's base map when one is configured (an intranet tile server, /public/v1/basemap; tiles in GCJ-02
// shift what is drawn, and a picked point is shifted back to WGS-84), else they are the base map; a tap or a
// dragged pin picks the place.
import { addBaseLayer, shiftGeometry, withShifts } from "../common/baselayer.js";
import { publicApi } from "./api.js";

const EMPTY = { type: "FeatureCollection", features: [] };

function loadStyle() {
  if (document.querySelector("link[data-maplibre]")) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = "/static/vendor/maplibre/maplibre-gl.css";
  link.dataset.maplibre = "1";
  document.head.append(link);
}

function bounds(fc) {
  let w = 180, s = 90, e = -180, n = -90;
  const walk = (c) => {
    if (typeof c[0] === "number") { w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]); return; }
    c.forEach(walk);
  };
  for (const f of fc.features) walk(f.geometry.coordinates);
  return w <= e ? [[w, s], [e, n]] : null;
}

export class PinMap {
  /** onPick(lng, lat) when the citizen taps the map or drops the pin. */
  constructor(container, { onPick, locale }) {
    this.container = container;
    this.onPick = onPick;
    this.locale = locale;
    this.ready = this.init();
  }

  async init() {
    loadStyle();
    const [ml, area, cfg] = await Promise.all([
      import("/static/vendor/maplibre/maplibre-gl.mjs"),
      publicApi("/outline").catch(() => EMPTY),
      publicApi("/basemap").catch(() => ({ tiles: [], crs: "wgs84", attribution: "", max_zoom: 19 })),
    ]);
    const base = withShifts(cfg);
    this.base = base;
    const outline = { ...area, features: area.features.map((f) => ({ ...f, geometry: shiftGeometry(f.geometry, base.toMap) })) };
    const box = bounds(outline);
    this.box = box;
    const map = new ml.Map({
      container: this.container,
      style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#d5dbe1" } }] },
      center: box ? [(box[0][0] + box[1][0]) / 2, (box[0][1] + box[1][1]) / 2] : [121.47, 31.23],
      zoom: 15, maxZoom: 19, minZoom: 9, attributionControl: base.tiles.length ? { compact: true } : false, dragRotate: false, pitchWithRotate: false,
      fadeDuration: 0, locale: this.locale,
    });
    map.touchZoomRotate.disableRotation();
    map.addControl(new ml.NavigationControl({ showCompass: false }), "top-right");
    await new Promise((resolve) => map.on("load", resolve));
    addBaseLayer(map, base);
    map.addSource("area", { type: "geojson", data: outline });
    map.addLayer({ id: "area-fill", type: "fill", source: "area", paint: { "fill-color": "#ffffff",
      "fill-opacity": base.tiles.length ? 0.15 : 1, "fill-antialias": false } });
    map.addLayer({ id: "area-line", type: "line", source: "area", paint: { "line-color": "#0b57d0", "line-width": 2 } });
    if (box) map.fitBounds(box, { padding: 24, duration: 0, maxZoom: 17 });
    this.map = map;
    window.__gridopsPinMap = map;  // for the tests and for debugging from the console
    this.pin = new ml.Marker({ color: "#d93025", draggable: true, scale: 1.3 });
    this.pin.on("dragend", () => { const p = this.pin.getLngLat(); this.onPick(...base.fromMap(p.lng, p.lat)); });
    map.on("click", (e) => this.onPick(...base.fromMap(e.lngLat.lng, e.lngLat.lat)));
    if (this.point) this.show(...this.point);
    this.container.dataset.ready = "1";
    return map;
  }

  /** MapLibre reads its locale once: after a language switch its controls are labelled again here. */
  relabel(t) {
    const labels = { "Map.Title": ".maplibregl-canvas", "NavigationControl.ZoomIn": ".maplibregl-ctrl-zoom-in",
      "NavigationControl.ZoomOut": ".maplibregl-ctrl-zoom-out", "Marker.Title": ".maplibregl-marker" };
    for (const [key, selector] of Object.entries(labels)) {
      this.container.querySelectorAll(selector).forEach((el) => {
        el.setAttribute("aria-label", t(`c.map.${key}`));
        if (el.hasAttribute("title")) el.title = t(`c.map.${key}`);
      });
    }
  }

  /** Put the pin at a point (WGS-84) and bring it into view. */
  show(wgsLng, wgsLat) {
    this.point = [wgsLng, wgsLat];
    if (!this.map) return;
    const [lng, lat] = this.base.toMap(wgsLng, wgsLat);
    this.pin.setLngLat([lng, lat]).addTo(this.map);
    if (this.map.getBounds().contains([lng, lat])) return;
    if (!this.box) { this.map.jumpTo({ center: [lng, lat] }); return; }
    // out of view: show it together with the managed area, so the way back in is on screen
    const [[w, s], [e, n]] = this.box;
    this.map.fitBounds([[Math.min(w, lng), Math.min(s, lat)], [Math.max(e, lng), Math.max(n, lat)]],
      { padding: 32, duration: 0, maxZoom: 17 });
  }
}
