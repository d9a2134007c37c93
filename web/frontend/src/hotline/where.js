// Where the caller's problem is: an address search (GET /addresses?q=) or a click on a small map of the grid's
// cells (GET /map/cells, the compact encoding the control-room map reads, cached by ETag); the point chosen is
// located in its cell (GET /locate). Positions are WGS-84; only what MapLibre draws is shifted onto a GCJ-02
// base map. MapLibre is the bundled copy, loaded with the page: nothing comes from the internet.
import { api, escapeHtml } from "../common/api.js";
import { addBaseLayer, basemap } from "../common/basemap.js";
import { mapLocale, t } from "../i18n/index.js";
import { decodeAreas, setDisplay } from "../map/data.js";

const maplibre = import("/static/vendor/maplibre/maplibre-gl.mjs");
const EMPTY = { type: "FeatureCollection", features: [] };

export class PlacePicker {
  /** ``box`` gets the search field, results, map and the cell line; ``onChange()`` runs when the point changes. */
  constructor(box, onChange) {
    this.box = box;
    this.onChange = onChange;
    this.point = null;   // {lng, lat} in WGS-84
    this.cell = null;    // {code, name} from /locate, or null
    this.named = null;   // the gazetteer address the point was put at (a search result, or the nearest to a click)
    this.outside = false;
    this.results = null; // the last search's addresses, or null when none are shown
    this.query = "";
    this.seq = 0;
    this.map = null;
    box.innerHTML = `
      <label for="address" data-i18n="hotline.address"></label>
      <div class="search-line">
        <input id="address" name="address" type="search" autocomplete="off" maxlength="200"
          aria-describedby="address-hint" aria-controls="addr-results">
        <button type="button" id="address-go" data-i18n="hotline.address_search"></button>
      </div>
      <p class="hint" id="address-hint" data-i18n="hotline.address_hint"></p>
      <ul class="addr-results" id="addr-results" hidden></ul>
      <div class="pickmap" id="pickmap" role="region" data-i18n-aria-label="hotline.map_label"></div>
      <p class="point" id="point" aria-live="polite"></p>`;
    this.input = box.querySelector("#address");
    this.list = box.querySelector("#addr-results");
    let timer = null;
    this.input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.search(), 350);
    });
    this.input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.ctrlKey && !ev.metaKey) { ev.preventDefault(); clearTimeout(timer); this.search(true); }
      if (ev.key === "ArrowDown" && this.results?.length) { ev.preventDefault(); this.list.querySelector("button")?.focus(); }
      if (ev.key === "Escape") this.closeResults();
    });
    box.querySelector("#address-go").addEventListener("click", () => { clearTimeout(timer); this.search(true); });
    this.list.addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-i]");
      if (b) this.choose(this.results[Number(b.dataset.i)]);
    });
    this.list.addEventListener("keydown", (ev) => {
      const buttons = [...this.list.querySelectorAll("button")];
      const at = buttons.indexOf(document.activeElement);
      if (ev.key === "ArrowDown" && at >= 0) { buttons[Math.min(at + 1, buttons.length - 1)].focus(); ev.preventDefault(); }
      if (ev.key === "ArrowUp" && at >= 0) { (at ? buttons[at - 1] : this.input).focus(); ev.preventDefault(); }
      if (ev.key === "Escape") { this.closeResults(); this.input.focus(); }
    });
    this.drawPoint();
  }

  /** The address as typed (or as chosen). */
  get address() { return this.input.value.trim(); }

  /** The point's own address when the box now names another place (typed over it, not chosen from a search):
   * that text would be filed with a pin somewhere else. Words added to the address (…12号 东门) are fine, and so
   * is any text for a point no address is near (the operator describes the place they clicked). */
  get mismatch() {
    const typed = this.address;
    return this.point && this.named && typed && !typed.includes(this.named) ? this.named : null;
  }

  async search(now = false) {
    const q = this.address;
    if (!q || (!now && q.length < 2)) { this.closeResults(); return; }
    const seq = ++this.seq;
    let found;
    try {
      found = await api("/addresses", { query: { q } });
    } catch (err) {
      if (seq !== this.seq) return;
      this.results = [];
      this.list.hidden = false;
      this.list.innerHTML = `<li class="empty">${escapeHtml(err.message)}</li>`;
      return;
    }
    if (seq !== this.seq) return;  // a later search answers
    this.query = q;
    this.results = found;
    this.drawResults();
  }

  drawResults() {
    if (!this.results) return;
    this.list.hidden = false;
    this.list.setAttribute("aria-label", t("hotline.address_results"));
    this.list.innerHTML = this.results.length
      ? this.results.map((a, i) => `<li><button type="button" data-i="${i}">${escapeHtml(a.name)}</button></li>`).join("")
      : `<li class="empty">${escapeHtml(t("hotline.address_none", { q: this.query }))}${this.named
        ? escapeHtml(t("hotline.address_none_pin", { name: this.named })) : ""}</li>`;
  }

  closeResults() {
    this.results = null;
    this.list.hidden = true;
    this.list.innerHTML = "";
  }

  choose(address) {
    this.input.value = address.name;
    this.named = address.name;
    this.closeResults();
    this.input.focus();
    this.set(address.lng, address.lat, { fly: true });
  }

  /** Put the point at a WGS-84 position and find its cell. */
  async set(lng, lat, { fly = false, nameIt = false } = {}) {
    if (nameIt) {  // a click moves the pin away from what the box says: the box names the new place, or nothing
      this.input.value = "";
      this.named = null;
      this.closeResults();
    }
    this.point = { lng, lat };
    this.cell = null;
    this.outside = false;
    const seq = ++this.seq;
    this.drawPoint();
    this.showOnMap(fly);
    try {
      const found = await api("/locate", { query: { lat: lat.toFixed(7), lng: lng.toFixed(7) } });
      if (seq !== this.seq) return;
      this.cell = found.cell;
    } catch (err) {
      if (seq !== this.seq) return;
      this.outside = err.body?.error === "outside_managed_area";
    }
    this.drawPoint();
    this.showOnMap(false);  // the cell found, outlined
    this.onChange();
    // a point clicked: the nearest address (within 150 m), for the case's record; the operator may add to it
    if (nameIt && !this.address && this.cell) {
      const near = await api("/addresses/nearest", { query: { lat: lat.toFixed(7), lng: lng.toFixed(7) } }).catch(() => null);
      if (seq === this.seq && near && !this.address) {
        this.input.value = near.address.name;
        this.named = near.address.name;
      }
    }
  }

  drawPoint() {
    const line = this.box.querySelector("#point");
    line.classList.toggle("bad", this.outside);
    line.dataset.cell = this.cell?.code || "";
    if (this.cell) line.textContent = t("hotline.point_cell", { cell: this.cell.name, code: this.cell.code });
    else if (this.outside) line.textContent = t("hotline.point_outside");
    else line.textContent = this.point ? "…" : t("hotline.point_none");
  }

  redraw() {
    this.drawPoint();
    this.drawResults();
  }

  clear() {
    this.input.value = "";
    this.named = null;
    this.closeResults();
    this.point = null;
    this.cell = null;
    this.outside = false;
    this.drawPoint();
    this.showOnMap(false);
  }

  /** Draw the map once the tab is shown (MapLibre needs its box's size). */
  async drawMap() {
    if (this.map) { this.map.resize(); return; }
    const box = this.box.querySelector("#pickmap");
    this.map = "loading";
    const [ml, cfg, payload] = await Promise.all([maplibre, basemap(),
      api("/map/cells", { query: { level: "cell" } }).catch(() => null)]);
    setDisplay(cfg.toMap);
    this.cfg = cfg;
    const areas = payload ? decodeAreas(payload) : { features: [], bounds: null };
    const map = new ml.Map({
      container: box,
      style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f4" } }] },
      bounds: areas.bounds || undefined, fitBoundsOptions: { padding: 12 },
      center: areas.bounds ? undefined : [121.47, 31.23], zoom: areas.bounds ? undefined : 12,
      attributionControl: false, fadeDuration: 0, locale: mapLocale(), dragRotate: false, pitchWithRotate: false,
    });
    this.map = map;
    box.map = map;  // for the browser tests: where a position is on the screen
    map.addControl(new ml.NavigationControl({ showCompass: false }), "top-right");
    map.on("load", () => {
      addBaseLayer(map, cfg);
      map.addSource("cells", { type: "geojson", data: { type: "FeatureCollection", features: areas.features } });
      map.addLayer({ id: "cells-fill", type: "fill", source: "cells", paint: { "fill-color": "#0b57d0", "fill-opacity": 0.05 } });
      map.addLayer({ id: "cells-line", type: "line", source: "cells", paint: { "line-color": "#52606d", "line-width": 1 } });
      map.addLayer({ id: "cell-on", type: "line", source: "cells", filter: ["==", ["get", "code"], ""],
        paint: { "line-color": "#0b57d0", "line-width": 3 } });
      map.addSource("point", { type: "geojson", data: EMPTY });
      map.addLayer({ id: "point", type: "circle", source: "point",
        paint: { "circle-radius": 8, "circle-color": "#d93025", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
      this.showOnMap(true);
      map.once("idle", () => { box.dataset.ready = "true"; });
    });
    // the keyboard's way to set the point on the map: move the map with the arrow keys, Enter takes its centre
    map.getCanvas().addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter" || ev.ctrlKey || ev.metaKey) return;
      ev.preventDefault();
      const c = map.getCenter();
      const [lng, lat] = cfg.fromMap(c.lng, c.lat);
      this.set(lng, lat, { nameIt: true });
    });
    map.on("click", (ev) => {
      const [lng, lat] = cfg.fromMap(ev.lngLat.lng, ev.lngLat.lat);
      this.set(lng, lat, { nameIt: true });
    });
  }

  showOnMap(fly) {
    const map = this.map;
    if (!map || map === "loading" || !map.getSource("point")) return;
    const at = this.point ? this.cfg.toMap(this.point.lng, this.point.lat) : null;
    map.setFilter("cell-on", ["==", ["get", "code"], this.cell?.code || ""]);
    map.getSource("point").setData(at ? { type: "Feature", properties: {}, geometry: { type: "Point", coordinates: at } } : EMPTY);
    if (at && fly) map.jumpTo({ center: at, zoom: Math.max(map.getZoom(), 16) });
  }
}
