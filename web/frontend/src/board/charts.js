// The board's charts, ECharts from npm: only the core, the chart kinds and the components used, on canvas.
// Each chart calls ``onPick`` with what was clicked, for the drill-down list (drill.js).
import * as echarts from "echarts/core";
import { BarChart, LineChart, MapChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import { t } from "../i18n/index.js";
import { subjectName } from "./drill.js";

echarts.use([BarChart, LineChart, MapChart, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent,
  CanvasRenderer]);

const COLORS = { reported: "#0b57d0", closed: "#1e8e3e", overdue: "#b3261e", bar: "#0b57d0", ontime: "#1e8e3e" };
const charts = new Map(); // element id → chart

function chart(id) {
  let c = charts.get(id);
  if (!c) {
    // twice the pixels: the printed report stays sharp
    c = echarts.init(document.getElementById(id), null, { renderer: "canvas", devicePixelRatio: Math.max(2, window.devicePixelRatio || 1) });
    charts.set(id, c);
  }
  return c;
}

/** Every chart at its container's size, or at ``width`` px (the printed page's, before printing). */
export function resizeAll(width) {
  for (const c of charts.values()) c.resize(width ? { width } : { width: "auto" });
}

const axisText = { color: "#333", fontSize: 12 };

/** Reported, closed and overdue per local day; a click gives the day. */
export function trendChart(trend, onPick) {
  const c = chart("trend");
  const series = ["reported", "closed", "overdue"].map((key) => ({
    name: t(`board.series.${key}`), type: "line", data: trend.map((d) => d[key]), symbolSize: 6,
    color: COLORS[key], lineStyle: { width: 2, type: key === "overdue" ? "dashed" : "solid" },
  }));
  c.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0, textStyle: axisText },
    grid: { left: 40, right: 16, top: 32, bottom: 28 },
    xAxis: { type: "category", data: trend.map((d) => d.date.slice(5)), axisLabel: axisText },
    yAxis: { type: "value", minInterval: 1, axisLabel: axisText },
    series,
  }, true);
  c.off("click");
  c.on("click", (p) => onPick(trend[p.dataIndex].date));
}

/** Horizontal bars of the top minor classes (most at the top); a click gives the category. */
export function categoryChart(items, nameOf, onPick) {
  const c = chart("categories");
  const rows = [...items].reverse();
  c.setOption({
    animation: false,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1, axisLabel: axisText },
    yAxis: { type: "category", data: rows.map((i) => `${i.code} ${nameOf(i)}`), axisLabel: { ...axisText, width: 160, overflow: "truncate" } },
    series: [{ name: t("board.series.registered"), type: "bar", data: rows.map((i) => i.count), color: COLORS.bar,
      label: { show: true, position: "right", color: "#111" }, barMaxWidth: 22 }],
  }, true);
  c.off("click");
  c.on("click", (p) => onPick(rows[p.dataIndex]));
}

/** On-time rate per department (%), from the scores; a click gives the department's item. */
export function onTimeChart(items, onPick) {
  const c = chart("on-time");
  const rate = (i) => i.indicators.find((x) => x.key === "on_time_rate");
  const rows = items.filter((i) => rate(i)?.value !== null && rate(i)?.value !== undefined);
  c.setOption({
    animation: false,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => `${v}%` },
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: rows.map(subjectName), axisLabel: { ...axisText, interval: 0, rotate: rows.length > 6 ? 30 : 0 } },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { ...axisText, formatter: "{value}%" } },
    series: [{ name: t("board.series.on_time"), type: "bar", color: COLORS.ontime, barMaxWidth: 36,
      data: rows.map((i) => Math.round(rate(i).value * 1000) / 10),
      label: { show: true, position: "top", color: "#111", formatter: "{c}%" } }],
  }, true);
  c.off("click");
  c.on("click", (p) => onPick(rows[p.dataIndex]));
  return rows;
}

let mapRegistered = null; // the cells' features registered as the map "grid"

/** The grid's cells shaded by the cases registered in each over the period; a click gives the cell's code. */
export function heatChart(features, names, counts, onPick) {
  const c = chart("heat");
  if (mapRegistered !== features) {
    echarts.registerMap("grid", { type: "FeatureCollection",
      features: features.map((f) => ({ ...f, properties: { name: f.properties.code } })) });
    mapRegistered = features;
  }
  const max = Math.max(1, ...counts.values());
  c.setOption({
    animation: false,
    tooltip: { trigger: "item", formatter: (p) => `${names.get(p.name) || ""} ${p.name}<br>${t("board.cases_n", { n: p.value || 0 })}` },
    visualMap: { min: 0, max, calculable: false, orient: "horizontal", left: "center", bottom: 0, itemWidth: 12,
      itemHeight: 160, text: [String(max), "0"], textStyle: axisText, inRange: { color: ["#eef3fb", "#8fb3ea", "#0b57d0", "#08306b"] } },
    series: [{ type: "map", map: "grid", roam: true, aspectScale: 0.86, top: 8, bottom: 40, selectedMode: false,
      itemStyle: { borderColor: "#6b7785", borderWidth: 0.5, areaColor: "#f4f6f8" },
      emphasis: { label: { show: false }, itemStyle: { areaColor: "#f9ab00" } },
      data: features.map((f) => ({ name: f.properties.code, value: counts.get(f.properties.code) || 0 })) }],
  }, true);
  c.off("click");
  c.on("click", (p) => onPick(p.name));
}
