/**
 * A node's history (`/history?project=&dag=&node=&limit=`): its last node runs (100 by default,
 * up to 10,000) as a chart of duration with failures and cache hits marked, tokens and cost where
 * it calls an LLM, p50/p95 and the failure rate as text. A click on a point opens that node run
 * on its run page (the node selected through the fragment). Live: read again when the store changes.
 */
import { getJson } from "./api.js";
import { type ChartSeries, type IndexChart, indexChart } from "./chart.js";
import { h, replace } from "./dom.js";
import { formatDuration, formatNumber, formatTime } from "./format.js";
import {
  entryHref,
  HISTORY_LIMITS,
  type HistoryAnswer,
  historyChartData,
  historyLimit,
  historyRequest,
  historyStats,
} from "./history-data.js";
import { onStoreChange } from "./live.js";

/** Renders a node's history into `app` and keeps it live. */
export async function historyPage(app: HTMLElement): Promise<void> {
  const query = new URLSearchParams(location.search);
  const project = query.get("project") ?? "";
  const dag = query.get("dag") ?? "";
  const node = query.get("node") ?? "";
  let limit = historyLimit(query.get("limit"));
  document.title = `${node} · history · hamilton-ts-ui`;
  if (node === "") {
    replace(
      app,
      h("h1", null, "Node history"),
      h(
        "p",
        null,
        "Name a node: /history?project=<project>&dag=<dag>&node=<node>. ",
        h("a", { href: "/" }, "All runs"),
      ),
    );
    return;
  }
  const listHref = `/?${new URLSearchParams({ ...(project === "" ? {} : { project }), ...(dag === "" ? {} : { dag }) }).toString()}`;
  const limitSelect = h("select", { id: "history-limit" });
  for (const n of HISTORY_LIMITS) {
    const o = h("option", null, `last ${formatNumber(n)}`);
    o.value = String(n);
    limitSelect.append(o);
  }
  limitSelect.value = String(limit);
  const stats = h("p", { class: "history-stats", id: "history-stats" });
  const box = h("div", { class: "history-charts" });
  const last = h("p", { class: "muted", id: "history-last" });
  replace(
    app,
    h("h1", null, "History of ", h("span", { class: "node-name" }, node)),
    h(
      "div",
      { class: "meta" },
      h("span", null, "Project ", h("b", null, project === "" ? "any" : project)),
      h("span", null, "DAG ", h("a", { href: listHref }, dag === "" ? "any" : dag)),
      h("label", null, "Node runs ", limitSelect),
    ),
    stats,
    box,
    last,
  );
  let charts: IndexChart[] = [];
  let shownKey = "";

  let requests = 0;
  async function load(): Promise<void> {
    const started = performance.now();
    const request = historyRequest(project, dag, node, limit);
    const seq = ++requests;
    const answer = await getJson<HistoryAnswer>(request);
    const answered = performance.now();
    // A later request (another limit, a refresh) owns the page.
    if (seq !== requests) return;
    const key = `${request} ${JSON.stringify(answer)}`;
    if (key === shownKey) return;
    shownKey = key;
    const data = historyChartData(answer.runs);
    stats.textContent = historyStats(answer, data, formatDuration);
    const open = (i: number) => {
      const entry = data.entries[i];
      if (entry !== undefined) location.href = entryHref(entry, node);
    };
    const labels = data.entries.map((e) => formatTime(e.startTime));
    const series: ChartSeries[] = [
      { label: "duration", values: data.durationMs, kind: "line", color: "#2563eb", format: formatDuration },
      { label: "failed", values: data.failures, kind: "points", color: "#d0342c", format: formatDuration },
      { label: "cache hit", values: data.cacheHits, kind: "points", color: "#1f9d55", format: formatDuration },
    ];
    for (const c of charts) c.destroy();
    charts = [
      indexChart({
        className: "history-duration",
        labels,
        series,
        yLabel: "duration",
        height: 260,
        onPick: open,
        pickTitle: "Click a point to open that node run",
      }),
    ];
    if (data.tokens !== undefined) {
      charts.push(
        indexChart({
          className: "history-llm",
          labels,
          series: [
            { label: "tokens", values: data.tokens, kind: "bars", color: "#9333ea", format: formatNumber },
            {
              label: "cost",
              values: data.costUsd ?? [],
              kind: "line",
              color: "#b45309",
              scale: "y2",
              format: (v) => `$${formatNumber(v)}`,
            },
          ],
          yLabel: "tokens",
          y2Label: "cost",
          height: 160,
          onPick: open,
          pickTitle: "Click a point to open that node run",
        }),
      );
    }
    replace(box, ...charts.map((c) => c.el));
    for (const c of charts) c.mount();
    const newest = data.entries[data.entries.length - 1];
    replace(
      last,
      newest === undefined
        ? `No node runs of ${node} in the store${project === "" ? "" : ` for project ${project}`}${dag === "" ? "" : `, DAG ${dag}`}.`
        : h("span", null, "Newest: ", h("a", { href: entryHref(newest, node), id: "history-newest" }, newest.runId)),
    );
    app.dataset.view = "history";
    // What the bench reads: this load's request and drawing, and (once) navigation start → drawn.
    app.dataset.loadMs = (performance.now() - started).toFixed(0);
    app.dataset.requestMs = (answered - started).toFixed(0);
    app.dataset.firstRenderMs ??= performance.now().toFixed(0);
  }

  limitSelect.addEventListener("change", () => {
    limit = historyLimit(limitSelect.value);
    const q = new URLSearchParams(location.search);
    q.set("limit", String(limit));
    history.replaceState(null, "", `/history?${q.toString()}`);
    void load();
  });
  await load();
  onStoreChange(load);
}
