/** The compare page (`/compare?a=<runId>&b=<runId>`): two runs of one DAG, node by node. */
import { getJson } from "./api.js";
import { h, replace } from "./dom.js";
import { formatDuration, formatNumber, shortVersion, statusClass, statusWord } from "./format.js";
import { onStoreChange } from "./live.js";
import { shortSummary } from "./summary-text.js";
import type { NodeRun, RunDetail } from "./types.js";
import { VirtualList } from "./virtual-list.js";

function key(r: NodeRun): string {
  return r.taskId === undefined ? r.node : `${r.node} [${r.taskId}]`;
}

/** The last attempt of each node run, by node name and task id. */
function lastAttempts(runs: readonly NodeRun[]): Map<string, NodeRun> {
  const out = new Map<string, NodeRun>();
  for (const r of runs) {
    const k = key(r);
    const prev = out.get(k);
    if (prev === undefined || r.attempt >= prev.attempt) out.set(k, r);
  }
  return out;
}

function cell(r: NodeRun | undefined): HTMLElement[] {
  if (r === undefined)
    return [
      h("span", { class: "c" }, h("span", { class: "badge s-pending" }, "not run")),
      h("span", { class: "c" }),
      h("span", { class: "c" }),
    ];
  return [
    h("span", { class: "c" }, h("span", { class: `badge ${statusClass(r.status)}` }, statusWord(r.status))),
    h("span", { class: "c num" }, formatDuration(r.durationMs)),
    h(
      "span",
      { class: "c summary-cell", title: shortSummary(r.result) },
      r.error ? `${r.error.type}: ${r.error.message}` : shortSummary(r.result),
    ),
  ];
}

/** Renders the compare page into `app` and keeps it live. */
export async function comparePage(app: HTMLElement, a: string, b: string): Promise<void> {
  document.title = "Compare · hamilton-ts-ui";
  const body = h("div");
  replace(app, h("h1", null, "Compare two runs"), body);
  async function load(): Promise<void> {
    const [ra, rb] = await Promise.all([
      getJson<RunDetail>(`/api/runs/${encodeURIComponent(a)}`),
      getJson<RunDetail>(`/api/runs/${encodeURIComponent(b)}`),
    ]);
    const ma = lastAttempts(ra.nodeRuns);
    const mb = lastAttempts(rb.nodeRuns);
    const keys = [...new Set([...ma.keys(), ...mb.keys()])].sort();
    const differ = keys.filter((k) => ma.get(k)?.status !== mb.get(k)?.status).length;
    const list = new VirtualList({
      rowHeight: 26,
      maxVisibleRows: 30,
      className: "compare-list",
      renderRow: (i) => {
        const k = keys[i]!;
        const x = ma.get(k);
        const y = mb.get(k);
        const same = x?.status === y?.status;
        return h(
          "div",
          { class: `cmp-row${same ? "" : " differs"}`, data: { node: k } },
          h("span", { class: "c cmp-name" }, k),
          ...cell(x),
          ...cell(y),
        );
      },
    });
    const side = (d: RunDetail, label: string) =>
      h(
        "div",
        null,
        `${label}: `,
        h("a", { href: `/runs/${encodeURIComponent(d.run.runId)}` }, d.run.runId),
        ` · ${d.run.dagName} ${shortVersion(d.run.graphVersion, 8)} · `,
        h("span", { class: `badge ${statusClass(d.run.status)}` }, statusWord(d.run.status)),
        ` · ${formatDuration(d.run.durationMs)}`,
      );
    replace(
      body,
      side(ra, "A"),
      side(rb, "B"),
      ra.run.dagName === rb.run.dagName
        ? null
        : h("p", { class: "error-title" }, "These runs are of different DAGs; nodes are matched by name."),
      h(
        "p",
        { class: "muted" },
        `${formatNumber(keys.length)} node runs, ${formatNumber(differ)} with a different status.`,
      ),
      h(
        "div",
        { class: "cmp-row cmp-head" },
        ...["node", "A status", "A duration", "A result", "B status", "B duration", "B result"].map((t) =>
          h("span", { class: "c" }, t),
        ),
      ),
      list.element,
    );
    list.setCount(keys.length);
    app.dataset.view = "compare";
  }
  await load();
  onStoreChange(load);
}
