// The queue's filters: status, category, area (street or community), light, urgency, and the search box's
// words. Status, category, area, urgency and the search go to GET /tickets; the light is the running timer's, filtered on the page (the queue holds
// at most a few hundred cases, and the light changes with the clock).
import { api, escapeHtml } from "../common/api.js";
import { statusLabel, t } from "../i18n/index.js";

export const EMPTY = { status: "", category: "", area: "", light: "", urgency: "", q: "" };

let areas = null; // [{code, name, level}] of streets and communities, loaded once

async function loadAreas() {
  if (areas) return areas;
  const levels = await Promise.all(["street", "community"].map((level) => api("/cells", { query: { level } })
    .then((fc) => fc.features.map((f) => ({ code: f.properties.code, name: f.properties.name, level })))
    .catch(() => [])));
  areas = levels.flat().sort((a, b) => a.code.localeCompare(b.code));
  return areas;
}

function options(values, chosen, label) {
  return [`<option value="">${escapeHtml(t("desk.filter.all"))}</option>`,
    ...values.map((v) => `<option value="${escapeHtml(v)}" ${v === chosen ? "selected" : ""}>${escapeHtml(label(v))}</option>`)].join("");
}

/** Draw the filter bar into ``box``; ``onChange(filters)`` runs with the new choice. */
export async function renderFilters(box, { tab, statuses, categories, categoryName, filters, onChange }) {
  const places = await loadAreas();
  const field = (name, label, html) => `<label class="filter"><span>${escapeHtml(t(label))}</span>
      <select name="${name}">${html}</select></label>`;
  const areaName = (code) => {
    const a = places.find((x) => x.code === code);
    return a ? `${a.level === "community" ? "· " : ""}${a.name}` : code;
  };
  box.innerHTML = [
    tab === "queue" ? field("status", "desk.filter.status", options(statuses, filters.status, statusLabel)) : "",
    field("category", "desk.filter.category", options(Object.keys(categories), filters.category, categoryName)),
    field("area", "desk.filter.area", options(places.map((a) => a.code), filters.area, areaName)),
    tab === "queue" ? field("light", "desk.filter.light", options(["red", "yellow", "green"], filters.light,
      (v) => t(`desk.light.${v}`))) : "",
    field("urgency", "desk.filter.urgency", options(["normal", "urgent", "critical"], filters.urgency,
      (v) => t(`urgency.${v}`))),
  ].join("");
  const current = { ...filters }; // every choice adds to the others
  const summarise = () => {
    const chosen = Object.entries(current).filter(([k, v]) => v && k !== "q").length; // the search box says its own
    const summary = box.closest("details")?.querySelector("summary");
    if (summary) summary.textContent = chosen ? t("desk.filters_on", { n: chosen }) : t("desk.filters");
  };
  summarise();
  box.querySelectorAll("select").forEach((s) => s.addEventListener("change", () => {
    current[s.name] = s.value;
    summarise();
    onChange({ ...current });
  }));
}

/** The query for GET /tickets: the tab's statuses unless one is chosen, and the server-side filters. */
export function ticketQuery(filters, statuses) {
  return { status: filters.status || statuses.join(",") || undefined, category: filters.category || undefined,
    area: filters.area || undefined, urgency: filters.urgency || undefined, q: filters.q || undefined };
}

export function byLight(items, light) {
  return light ? items.filter((i) => (i.sla?.light || "green") === light) : items;
}
