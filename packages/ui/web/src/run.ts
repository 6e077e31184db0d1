/**
 * The run page (`/runs/<runId>`, `/dashboard/project/<p>/runs/<runId>`): the run's facts (how many
 * node runs the cache answered, its LLM calls and cost) and parameters, its DAG, the waterfall of
 * its node runs, the selected node run, and its trace. The fragment says what is
 * selected (`#node=<name>&task=<id>`, `#span=<spanId>`), so links between them are plain links.
 */
import { ApiError, getJson } from "./api.js";
import { cacheCountText, cacheWord, nodeCacheWords } from "./cache-text.js";
import { h, replace } from "./dom.js";
import { formatDuration, formatNumber, formatTime, shortVersion, statusClass, statusWord } from "./format.js";
import { DagGraph } from "./graph.js";
import { onStoreChange } from "./live.js";
import { type PageLlmUsage, pageLlmUsage, usageTag, usageText } from "./llm-text.js";
import { graphNodes, nodeStates } from "./node-state.js";
import { nodeDetail } from "./node-detail.js";
import { runParameters } from "./run-facts.js";
import { nodeKey, nodeLink, pickNodeRun, readSelection } from "./selection.js";
import { TraceView } from "./trace.js";
import type { NodeRun, RunDetail, RunSummary, Span, TraceDetail } from "./types.js";
import { Waterfall } from "./waterfall.js";

/** The run's parameters, visible without a click: inputs, config, overrides, tags, outputs, who and where. */
function parametersBlock(detail: RunDetail): HTMLElement {
  const box = h("section", { class: "run-params", id: "run-params" });
  for (const group of runParameters(detail.run, detail.nodeRuns)) {
    const slug = group.title.toLowerCase().replace(/[^a-z]+/g, "-");
    box.append(
      h(
        "div",
        { class: "param-group", data: { group: slug } },
        h("h4", null, group.title),
        group.rows.length === 0
          ? h("div", { class: "muted" }, group.empty)
          : h(
              "table",
              { class: "kv" },
              ...group.rows.map(([k, v]) => h("tr", null, h("th", null, k), v === "" ? null : h("td", null, v))),
            ),
      ),
    );
  }
  return box;
}

function runHeader(detail: RunDetail, compareLink: HTMLElement, llm: PageLlmUsage | undefined): HTMLElement {
  const { run, nodeRuns } = detail;
  const failed = nodeRuns.filter((r) => r.status === "FAILURE").length;
  const cached = cacheCountText(nodeRuns);
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
    cached === undefined && (llm === undefined || llm.run.calls === 0)
      ? null
      : h(
          "p",
          { class: "meta" },
          cached === undefined ? null : h("span", { id: "cache-count" }, cached),
          cached !== undefined && llm !== undefined && llm.run.calls > 0 ? " · " : null,
          llm === undefined || llm.run.calls === 0
            ? null
            : h(
                "span",
                { id: "llm-total", data: { costUsd: llm.run.costUsd === null ? "" : String(llm.run.costUsd) } },
                usageText(llm.run),
              ),
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
  const params = h("div");
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
    params,
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
  let spans: readonly Span[] | undefined;
  let llm: PageLlmUsage | undefined;

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
        optionalInputs: new Set(detail.template?.nodes.flatMap((n) => n.optionalDependencies)),
        runStart: detail.run.startTime,
        spanKnown: run?.spanId !== undefined && spanIds.has(run.spanId),
        runRecord: detail.run,
        live: !detail.run.finished,
        llm: run === undefined ? undefined : llm?.byNodeRun.get(run),
      }),
    );
  }

  async function loadTrace(): Promise<void> {
    traceId = detail.nodeRuns.find((r) => r.traceId !== undefined)?.traceId;
    if (traceId === undefined) {
      spans = [];
      trace.setSpans(
        [],
        [],
        "No trace: the node runs carry no trace id (run an OpenTelemetry tracer before the tracker).",
      );
      return;
    }
    const t = await getJson<TraceDetail>(`/api/traces/${encodeURIComponent(traceId)}`);
    spanIds = new Set(t.spans.map((s) => s.spanId));
    spans = t.spans;
    trace.setSpans(
      t.spans,
      detail.nodeRuns,
      t.spans.length === 0
        ? `Trace ${traceId}: no spans in the store yet (they arrive over OTLP or in traces.jsonl).`
        : `Trace ${traceId}: ${formatNumber(t.spans.length)} spans.`,
    );
  }

  /**
   * Once the trace is read: drawn again when it holds LLM calls (their figures are in the header,
   * the waterfall and the panel), else only the selection (drawing a large run twice costs).
   */
  function afterTrace(): void {
    if ((pageLlmUsage(detail, spans)?.run.calls ?? 0) > 0) render();
    else showSelection();
  }

  function render(): void {
    llm = pageLlmUsage(detail, spans);
    replace(header, runHeader(detail, compareLink, llm));
    replace(params, parametersBlock(detail));
    const cacheWords = nodeCacheWords(detail.nodeRuns);
    graph.setData(graphNodes(detail), nodeStates(detail.nodeRuns), {
      cache: cacheWords,
      live: !detail.run.finished,
      overrides: new Set(detail.run.overrides ?? []),
    });
    const nodeLlmTag = (r: NodeRun) => {
      const u = llm?.byNodeRun.get(r);
      return u === undefined || u.calls === 0 ? "" : h("span", { class: "tag llm-cost" }, usageTag(u));
    };
    const runs = [...detail.nodeRuns].sort((a, b) => a.startTime - b.startTime || a.node.localeCompare(b.node));
    nodeWaterfall.setItems(
      runs.map((r) => ({
        key: nodeKey(r),
        depth: 0,
        status: h("span", { class: `badge ${statusClass(r.status)}` }, statusWord(r.status)),
        label: [
          h("span", { class: "wf-name" }, r.node),
          r.taskId === undefined ? "" : h("span", { class: "task" }, ` [${r.taskId}]`),
          r.cache === undefined ? "" : h("span", { class: "tag cache-tag" }, cacheWord(r.cache)),
          nodeLlmTag(r),
        ],
        start: r.startTime,
        end: r.endTime,
        barClass: statusClass(r.status),
        title: `${r.node}${r.taskId === undefined ? "" : ` [${r.taskId}]`}: ${statusWord(r.status)}${r.cache === undefined ? "" : `, ${cacheWord(r.cache)}`}`,
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
    .then(afterTrace)
    .catch((error: unknown) => trace.setSpans([], [], `The trace could not be read: ${String(error)}`));

  onStoreChange(async () => {
    detail = await getJson<RunDetail>(`/api/runs/${encodeURIComponent(runId)}`);
    render();
    await loadTrace();
    afterTrace();
  });
}
