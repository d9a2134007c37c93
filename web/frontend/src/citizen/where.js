// Step 1, where: the phone's position (asked for only when the citizen taps 使用当前位置), a pin on a map
// (the map is loaded on the first tap of 在地图上选点), or a typed address picked from a list. Each place is
// checked against the managed area (GET /locate) before the report may go. Positions are WGS-84.
import { publicApi } from "./api.js";
import { PinMap } from "./pinmap.js";
import { distance } from "../common/words.js";
import { escapeHtml, t } from "./words.js";

export const WHERE_HTML = `
  <div class="buttons">
    <button type="button" id="use-gps" data-i18n="c.where.gps"></button>
    <button type="button" id="pick-map" data-i18n="c.where.map"></button>
  </div>
  <div id="map-box" hidden>
    <p class="hint" id="map-hint" data-i18n="c.where.map_hint"></p>
    <div id="map" class="map"></div>
  </div>
  <form id="address-form" class="address-form" role="search" novalidate>
    <label for="address-q" data-i18n="c.where.address"></label>
    <div class="row">
      <input id="address-q" type="search" autocomplete="off" enterkeyhint="search" data-i18n-placeholder="c.where.address_placeholder">
      <button type="submit" id="address-go" data-i18n="c.where.address_search"></button>
    </div>
  </form>
  <div id="address-list" aria-live="polite"></div>
  <div id="place" class="place" aria-live="polite" data-status="none"></div>`;

export class Where {
  /** root holds WHERE_HTML; onChange(loc) whenever the place or its check changes. ``loc``: {status: none |
   * waiting | checking | ok | outside | failed, lng, lat, source, address, community, street, distance_m}. */
  constructor(root, { onChange }) {
    this.root = root;
    this.onChange = onChange;
    this.loc = { status: "none" };
    this.addresses = null;
    this.seq = 0;
    this.$ = (sel) => root.querySelector(sel);
    this.$("#use-gps").addEventListener("click", () => this.useGps());
    this.$("#pick-map").addEventListener("click", () => this.openMap());
    this.$("#address-form").addEventListener("submit", (e) => { e.preventDefault(); this.searchAddress(); });
    this.$("#address-list").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-index]");
      if (!b) return;
      const a = this.addresses[Number(b.dataset.index)];
      this.addresses = null;
      this.set(a.lng, a.lat, "address", a.name);
      this.map?.show(a.lng, a.lat);
    });
  }

  useGps() {
    if (!navigator.geolocation) { this.note("c.where.no_gps"); return; }
    this.loc = { status: "waiting" };
    this.render();
    navigator.geolocation.getCurrentPosition(
      (p) => {
        this.set(p.coords.longitude, p.coords.latitude, "gps");
        this.map?.show(p.coords.longitude, p.coords.latitude);
      },
      (err) => this.note(err.code === 1 ? "c.where.denied" : "c.where.gps_failed"),
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 30_000 },
    );
  }

  async openMap() {
    const box = this.$("#map-box");
    box.hidden = false;
    if (this.map) { this.map.map?.resize(); return; }
    const hint = this.$("#map-hint");
    hint.textContent = t("c.where.map_loading");
    try {
      const locale = Object.fromEntries(["Map.Title", "NavigationControl.ZoomIn", "NavigationControl.ZoomOut",
        "Marker.Title", "Popup.Close"].map((k) => [k, t(`c.map.${k}`)]));
      this.map = new PinMap(this.$("#map"), { locale, onPick: (lng, lat) => { this.map.show(lng, lat); this.set(lng, lat, "map"); } });
      if (this.loc.lng !== undefined) this.map.show(this.loc.lng, this.loc.lat);
      await this.map.ready;
      hint.textContent = t("c.where.map_hint");
    } catch (err) {
      console.warn("map unavailable", err);  // eslint-disable-line no-console
      this.map = null;
      hint.textContent = t("c.where.map_failed");
    }
  }

  async searchAddress() {
    const q = this.$("#address-q").value.trim();
    if (!q) return;
    const list = this.$("#address-list");
    list.innerHTML = `<p class="muted">${t("c.where.address_searching")}</p>`;
    try {
      this.addresses = await publicApi("/addresses", { query: { q } });
      this.renderAddresses();
    } catch (err) {
      this.addresses = null;
      list.innerHTML = `<p class="error">${escapeHtml(err.text ? err.text() : String(err))}</p>`;
    }
  }

  renderAddresses() {
    const list = this.$("#address-list");
    if (!this.addresses) { list.innerHTML = ""; return; }
    list.innerHTML = this.addresses.length
      ? `<ul class="address-list">${this.addresses.map((a, i) =>
        `<li><button type="button" data-index="${i}">${escapeHtml(a.name)}</button></li>`).join("")}</ul>`
      : `<p class="muted">${t("c.where.address_none")}</p>`;
  }

  note(key) {
    this.loc = { status: "failed", note: key };
    this.render();
  }

  /** A place chosen one way or another: checked against the managed area, the last one wins. */
  async set(lng, lat, source, address = "") {
    const seq = ++this.seq;
    this.loc = { status: "checking", lng, lat, source, address };
    this.render();
    try {
      const r = await publicApi("/locate", { query: { lat, lng, crs: "wgs84" } });
      if (seq !== this.seq) return;
      this.loc = { ...this.loc, status: r.inside ? "ok" : "outside", community: r.community_name || "",
        street: r.street_name || "", distance_m: r.distance_m };
    } catch (err) {
      if (seq !== this.seq) return;
      this.loc = { ...this.loc, status: "failed", error: err.text ? err.text() : String(err) };
    }
    this.render();
  }

  render() {
    const place = this.$("#place");
    const l = this.loc;
    place.dataset.status = l.status;
    const source = l.source ? `<small>${t(`c.where.source.${l.source}`)}${l.address ? ` · ${escapeHtml(l.address)}` : ""}</small>` : "";
    switch (l.status) {
      case "waiting": place.innerHTML = `<p class="muted">${t("c.where.waiting")}</p>`; break;
      case "checking": place.innerHTML = `<p class="muted">${t("c.where.checking")}</p>`; break;
      case "ok": {
        const name = [l.street, l.community].filter(Boolean).join(" ");
        place.innerHTML = `<div class="ok"><b>✓ ${escapeHtml(name || t("c.where.inside_plain"))}</b>${source}</div>`;
        break;
      }
      case "outside":
        place.innerHTML = `<div class="outside"><b>${typeof l.distance_m === "number"
          ? farText(l.distance_m) : t("c.where.outside")}</b>${source}</div>`;
        break;
      case "failed":
        place.innerHTML = `<p class="warn">${escapeHtml(l.error || t(l.note))}</p>`;
        break;
      default: place.innerHTML = "";
    }
    this.renderAddresses();
    this.onChange(this.loc);
  }
}

/** How far the place is from the service area: in metres up to 1000, then in kilometres ("约 1065 公里", not
 * "约 1064564 米"; one decimal under 10 km). */
export function farText(m) {
  const far = distance(m);
  return t(far.km ? "c.where.outside_far_km" : "c.where.outside_far", far);
}
