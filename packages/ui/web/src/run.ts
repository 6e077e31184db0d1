/**
 * The run page (`/runs/<runId>`, `/dashboard/project/<p>/runs/<runId>`): the run's facts, its DAG,
 * the waterfall of its node runs, the selected node run, and its trace. The fragment says what is
 * selected (`#node=<name>&task=<id>`, `#span=<spanId>`), so links between them are plain links.
 */
import { ApiError, getJson } from "./api.js";
import { h, replace } from "./dom.js";
import { formatDuration, formatNumber, formatTime, shortVersion, statusClass, statusWord } from "./format.js";
import { DagGraph } from "./graph.js";
import { onStoreChange } from "./live.js";
import { graphNodes, nodeStates } from "./node-state.js";
import { nodeDetail } from "./node-detail.js";
import { nodeKey, nodeLink, pickNodeRun, readSelection } from "./selection.js";
import { TraceView } from "./trace.js";
import type { NodeRun, RunDetail, RunSummary, TraceDetail } from "./types.js";
import { Waterfall } from "./waterfall.js";

function runHeader(detail: RunDetail, compareLink: HTMLElement): HTMLElement {
  const { run, nodeRuns } = detail;
  const failed = nodeRuns.filter((r) => r.status === "FAILURE").length;
  const end = run.endTime ?? Date.now();
  return h(
    "div",
    { class: "run-header" },
    h(
      "h1",
      null,
      h("span", { class: `badge big ${statusClass(run.status)}`, id: "run-status" }, statusWord(run.status)),
      " ",
      run.dagName,
    ),
    h(
      "p",
      { class: "meta" },
      `run ${run.runId} · project ${run.projectId} · version ${shortVersion(run.graphVersion, 12)} · by ${run.username}`,
    ),
    h(
      "p",
      { class: "meta" },
      `started ${formatTime(run.startTime)} · ${run.endTime === undefined ? "running for" : "took"} ${formatDuration(end - run.startTime)} · `,
      h("span", { id: "node-count" }, `${formatNumber(nodeRuns.length)} node runs`),
      ` · ${formatNumber(failed)} failed`,
      " · ",
      h("a", { href: `/?dag=${encodeURIComponent(run.dagName)}` }, "other runs of this DAG"),
      compareLink,
    ),
    run.error === undefined
      ? null
      : h("div", { class: "error" }, h("div", { class: "error-title" }, `${run.error.type}: ${run.error.message}`)),
  );
}

/** Fills `into` with a link comparing the run with the previous run of its DAG in its project, if any. */
async function findPrevious(detail: RunDetail, into: HTMLElement): Promise<void> {
  const { run } = detail;
  const q = new URLSearchParams({ project: run.projectId, dag: run.dagName, limit: "1000" });
  try {
    const { runs } = await getJson<{ runs: RunSummary[] }>(`/api/runs?${q.toString()}`);
    const here = runs.findIndex((r) => r.runId === run.runId);
    const previous = here >= 0 ? runs[here + 1] : undefined;
    if (previous === undefined) return;
    replace(
      into,
      " · ",
      h(
        "a",
        { href: `/compare?${new URLSearchParams({ a: previous.runId, b: run.runId }).toString()}` },
        "compare with the previous run",
      ),
    );
  } catch {
    // No link: the run page works without it.
  }
}

/** Renders the run page into `app` and keeps it live. */
export async function runPage(app: HTMLElement, runId: string): Promise<void> {
  document.title = `Run ${runId} · hamilton-ts-ui`;
  let detail: RunDetail;
  try {
    detail = await getJson<RunDetail>(`/api/runs/${encodeURIComponent(runId)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      replace(
        app,
        h("h1", null, `No run ${runId}`),
        h("p", { class: "error-title" }, error.message),
        h("p", null, "The page shows it as soon as it arrives in the store. ", h("a", { href: "/" }, "All runs")),
      );
      const stop = onStoreChange(async () => {
        try {
          await getJson<RunDetail>(`/api/runs/${encodeURIComponent(runId)}`);
          stop();
          await runPage(app, runId);
        } catch {
          // still not there
        }
      });
      return;
    }
    throw error;
  }

  const header = h("div");
  const compareLink = h("span", { id: "compare-previous" });
  const graph = new DagGraph((node) => {
    location.hash = nodeLink(node).slice(1);
  });
  const nodeWaterfall = new Waterfall("node-list", (item) => {
    location.hash = item.key;
  });
  const panel = h(
    "aside",
    { class: "panel", id: "node-panel" },
    h("p", { class: "muted" }, "Click a node (in the graph or the waterfall) to see its node run."),
  );
  const trace = new TraceView();
  replace(
    app,
    header,
    h(
      "div",
      { class: "run-body" },
      h(
        "div",
        { class: "run-main" },
        h("section", { id: "graph" }, h("h2", null, "DAG"), graph.element),
        h("section", { id: "node-runs" }, h("h2", null, "Node runs"), nodeWaterfall.element),
      ),
      panel,
    ),
    h("section", { id: "trace" }, h("h2", null, "Trace"), trace.element),
  );

  let spanIds = new Set<string>();
  let traceId: string | undefined;

  function showSelection(): void {
    const selection = readSelection(location.hash);
    if (selection.kind === "span") {
      trace.select(selection.span);
      trace.element.scrollIntoView({ block: "nearest" });
      return;
    }
    graph.select(selection.kind === "node" ? selection.node : undefined);
    if (selection.kind !== "node") return;
    const { node, task, attempt } = selection;
    const siblings = detail.nodeRuns.filter((r) => r.node === node);
    const run = pickNodeRun(siblings, task, attempt);
    nodeWaterfall.select(run === undefined ? undefined : nodeKey(run));
    const byNode = new Map<string, NodeRun[]>();
    for (const r of detail.nodeRuns) {
      let list = byNode.get(r.node);
      if (list === undefined) byNode.set(r.node, (list = []));
      list.push(r);
    }
    panel.replaceChildren(
      nodeDetail({
        run,
        node,
        template: detail.template?.nodes.find((n) => n.name === node),
        siblings,
        byNode,
        inputs: new Set(detail.template?.nodes.filter((n) => n.classification === "input").map((n) => n.name)),
        runStart: detail.run.startTime,
        spanKnown: run?.spanId !== undefined && spanIds.has(run.spanId),
      }),
    );
  }

  async function loadTrace(): Promise<void> {
    traceId = detail.nodeRuns.find((r) => r.traceId !== undefined)?.traceId;
    if (traceId === undefined) {
      trace.setSpans(
        [],
        [],
        "No trace: the node runs carry no trace id (run an OpenTelemetry tracer before the tracker).",
      );
      return;
    }
    const t = await getJson<TraceDetail>(`/api/traces/${encodeURIComponent(traceId)}`);
    spanIds = new Set(t.spans.map((s) => s.spanId));
    trace.setSpans(
      t.spans,
      detail.nodeRuns,
      t.spans.length === 0
        ? `Trace ${traceId}: no spans in the store yet (they arrive over OTLP or in traces.jsonl).`
        : `Trace ${traceId}: ${formatNumber(t.spans.length)} spans.`,
    );
  }

  function render(): void {
    replace(header, runHeader(detail, compareLink));
    graph.setData(graphNodes(detail), nodeStates(detail.nodeRuns));
    const runs = [...detail.nodeRuns].sort((a, b) => a.startTime - b.startTime || a.node.localeCompare(b.node));
    nodeWaterfall.setItems(
      runs.map((r) => ({
        key: nodeKey(r),
        depth: 0,
        status: h("span", { class: `badge ${statusClass(r.status)}` }, statusWord(r.status)),
        label: [
          h("span", { class: "wf-name" }, r.node),
          r.taskId === undefined ? "" : h("span", { class: "task" }, ` [${r.taskId}]`),
        ],
        start: r.startTime,
        end: r.endTime,
        barClass: statusClass(r.status),
        title: `${r.node}${r.taskId === undefined ? "" : ` [${r.taskId}]`}: ${statusWord(r.status)}`,
      })),
      detail.run.startTime,
    );
    showSelection();
  }

  render();
  // The first render's time since navigation start (HTML, script, read API, drawing), once the
  // frame with it has been painted: what a person waits for. Tests and the bench read it.
  requestAnimationFrame(() =>
    setTimeout(() => {
      app.dataset.firstRenderMs = performance.now().toFixed(0);
    }, 0),
  );
  app.dataset.view = "run";
  window.addEventListener("hashchange", showSelection);
  void findPrevious(detail, compareLink);
  void loadTrace()
    .then(showSelection)
    .catch((error: unknown) => trace.setSpans([], [], `The trace could not be read: ${String(error)}`));

  onStoreChange(async () => {
    detail = await getJson<RunDetail>(`/api/runs/${encodeURIComponent(runId)}`);
    render();
    await loadTrace();
    showSelection();
  });
}
