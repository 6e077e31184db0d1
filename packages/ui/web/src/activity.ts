/**
 * The activity chart above the runs list: for the list's project and DAG, runs and failures per
 * day, p50/p95 run duration, and tokens and cost per day when the server gives them
 * (`GET /api/activity`). A click on a day filters the list to that day.
 */
import { type ActivityChartData, type ActivityDayAnswer, activityChartData, dayAt } from "./activity-data.js";
import { getJson } from "./api.js";
import { type ChartSeries, type IndexChart, indexChart } from "./chart.js";
import { h, replace } from "./dom.js";
import { formatDuration, formatNumber } from "./format.js";
import { formatUsd } from "./llm-text.js";

/** The activity section: its element, and `update` to draw it for a request. */
export interface ActivitySection {
  readonly el: HTMLElement;
  /** Fetches `request` (a `GET /api/activity` path) and draws it; the same request again is skipped unless `force`. */
  update(request: string, force?: boolean): Promise<void>;
}

const COLORS = { runs: "#93c5fd", failures: "#d0342c", p50: "#1f9d55", p95: "#b45309", tokens: "#9333ea" };

function chartsOf(data: ActivityChartData, onPickDay: (day: string) => void): IndexChart[] {
  const pick = (i: number) => {
    const day = dayAt(data, i);
    if (day !== undefined) onPickDay(day);
  };
  const labels = data.days.map((d) => d.slice(5));
  const durationSeries: ChartSeries[] = [
    { label: "p50 duration", values: data.p50Ms, kind: "line", color: COLORS.p50, scale: "y2", format: formatDuration },
    { label: "p95 duration", values: data.p95Ms, kind: "line", color: COLORS.p95, scale: "y2", format: formatDuration },
  ];
  const charts = [
    indexChart({
      className: "activity-runs",
      labels,
      series: [
        { label: "runs", values: data.runs, kind: "bars", color: COLORS.runs, format: formatNumber },
        { label: "failures", values: data.failures, kind: "bars", color: COLORS.failures, format: formatNumber },
        ...durationSeries,
      ],
      yLabel: "runs per day",
      y2Label: "run duration",
      onPick: pick,
      pickTitle: "Click a day to show its runs",
    }),
  ];
  if (data.tokens !== undefined || data.costUsd !== undefined) {
    const series: ChartSeries[] = [];
    if (data.tokens !== undefined)
      series.push({ label: "tokens", values: data.tokens, kind: "bars", color: COLORS.tokens, format: formatNumber });
    if (data.costUsd !== undefined)
      series.push({
        label: "cost",
        values: data.costUsd,
        kind: "line",
        color: COLORS.p95,
        scale: data.tokens === undefined ? "y" : "y2",
        format: formatUsd,
      });
    charts.push(
      indexChart({
        className: "activity-llm",
        labels,
        series,
        yLabel: data.tokens !== undefined ? "tokens per day" : "cost per day",
        y2Label: "cost per day",
        height: 160,
        onPick: pick,
        pickTitle: "Click a day to show its runs",
      }),
    );
  }
  return charts;
}

/** Builds the section; `onPickDay` gets the day clicked (`YYYY-MM-DD`, UTC). */
export function activitySection(onPickDay: (day: string) => void): ActivitySection {
  const summary = h("span", { class: "muted activity-summary" });
  const box = h("div", { class: "activity-charts" });
  const el = h(
    "section",
    { class: "activity", id: "activity" },
    h("h2", null, "Activity per day (UTC) "),
    summary,
    box,
  );
  let charts: IndexChart[] = [];
  let shownRequest = "";
  let shownKey = "";
  /** Requests made so far: only the answer of the last one is drawn. */
  let last = 0;
  return {
    el,
    async update(request, force = false) {
      if (request === shownRequest && !force) return;
      const seq = ++last;
      let days: ActivityDayAnswer[];
      try {
        days = (await getJson<{ days: ActivityDayAnswer[] }>(request)).days;
      } catch (error) {
        if (seq !== last) return;
        summary.textContent = `Activity could not be read: ${error instanceof Error ? error.message : String(error)}`;
        return;
      }
      // An earlier request answered after a later one: drop it.
      if (seq !== last) return;
      const key = `${request} ${JSON.stringify(days)}`;
      shownRequest = request;
      if (key === shownKey) return;
      shownKey = key;
      const data = activityChartData(days);
      for (const c of charts) c.destroy();
      charts = chartsOf(data, onPickDay);
      replace(box, ...charts.map((c) => c.el));
      for (const c of charts) c.mount();
      box.dataset.days = data.days.join(",");
      box.dataset.runs = data.runs.join(",");
      box.dataset.tokens = (data.tokens ?? []).map((t) => t ?? 0).join(",");
      const llm =
        data.tokens === undefined
          ? ""
          : `, ${formatNumber(data.totalTokens)} tokens, ${data.totalCostUsd === null ? "cost unknown (a model has no price)" : formatUsd(data.totalCostUsd)}`;
      summary.textContent = `${formatNumber(data.totalRuns)} runs, ${formatNumber(data.totalFailures)} failed${llm}, ${data.days[0] ?? ""} to ${data.days[data.days.length - 1] ?? ""}`;
    },
  };
}
