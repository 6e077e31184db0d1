/**
 * The compare page (`/compare?runs=a,b,c`, and the older `?a=<runId>&b=<runId>`): 2 to 10 runs
 * side by side — what changed, their parameters, each node run (fan-out items by task id) with
 * the differences marked, and the source diff of each node whose code changed. The comparison is
 * `src/compare-runs.ts`, the same as `hamilton-ts-ui compare` prints; this file only draws it.
 */
import "./compare.css";
import {
  type CellField,
  type CodeChange,
  cellMarks,
  cellText,
  compareIdsOf,
  compareIdsProblem,
  compareRuns,
  type NodeCell,
  type NodeRow,
  paramLabel,
  paramMarked,
  type RunComparison,
  runLetter,
  summaryLines,
} from "../../src/compare-runs.js";
import { ApiError, getJson } from "./api.js";
import { diffDetails } from "./compare-diff.js";
import { h, replace } from "./dom.js";
import { formatDuration, formatTime, shortVersion, statusClass, statusWord } from "./format.js";
import { costText, usageText } from "./llm-text.js";
import { onStoreChange } from "./live.js";
import type { RunDetail } from "./types.js";
import { VirtualList } from "./virtual-list.js";

const ROW_HEIGHT = 62;

function mark(marks: readonly CellField[], field: CellField, base: string): string {
  return marks.includes(field) ? `${base} diff` : base;
}

function nodeCell(cell: NodeCell | undefined, marks: readonly CellField[], index: number): HTMLElement {
  if (cell === undefined) {
    return h(
      "div",
      { class: "c cmp-cell", data: { run: runLetter(index) } },
      h("span", { class: mark(["status"], "status", "badge s-pending") }, "not run"),
    );
  }
  const cache = cell.cache === undefined ? "" : `cache ${cell.cache}`;
  const llm = cell.llm === undefined || cell.llm.calls === 0 ? "" : `${usageText(cell.llm)} · ${costText(cell.llm)}`;
  return h(
    "div",
    { class: "c cmp-cell", data: { run: runLetter(index) } },
    h(
      "div",
      null,
      h(
        "span",
        { class: mark(marks, "status", `badge ${statusClass(cell.status)} cmp-status`) },
        statusWord(cell.status),
      ),
      " ",
      h("span", { class: mark(marks, "duration", "cmp-duration") }, formatDuration(cell.durationMs)),
    ),
    h(
      "div",
      { class: "muted" },
      h("span", { class: mark(marks, "cache", "cmp-cache") }, cache),
      cache !== "" && llm !== "" ? " · " : "",
      h("span", { class: mark(marks, "llm", "cmp-llm") }, llm),
    ),
    h("div", { class: mark(marks, "result", "cmp-result"), title: cell.result }, cellText(cell.result, 120)),
  );
}

function differsWords(row: NodeRow): string {
  return Object.entries(row.differs)
    .filter(([, d]) => d)
    .map(([k]) => k)
    .join(",");
}

function runsTable(c: RunComparison, details: readonly RunDetail[]): HTMLElement {
  return h(
    "table",
    { class: "runs", id: "compare-runs" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        ...["", "Run", "DAG", "Version", "Status", "Started", "Duration", "LLM"].map((t) => h("th", null, t)),
      ),
    ),
    h(
      "tbody",
      null,
      ...c.runs.map((r, i) => {
        const llm = r.llm;
        return h(
          "tr",
          { data: { run: runLetter(i) } },
          h("td", { class: "cmp-letter" }, runLetter(i)),
          h("td", null, h("a", { href: `/runs/${encodeURIComponent(r.runId)}` }, r.runId)),
          h("td", null, r.dagName),
          h("td", { title: r.graphVersion }, shortVersion(r.graphVersion, 8)),
          h("td", null, h("span", { class: `badge ${statusClass(r.status)}` }, statusWord(r.status))),
          h("td", null, formatTime(r.startTime)),
          h("td", { class: "num" }, formatDuration(details[i]?.run.durationMs)),
          h("td", null, llm === undefined || llm.calls === 0 ? "" : `${usageText(llm)} · ${costText(llm)}`),
        );
      }),
    ),
  );
}

function paramsTable(c: RunComparison): HTMLElement {
  return h(
    "table",
    { class: "kv cmp-params", id: "compare-params" },
    h("thead", null, h("tr", null, h("th", null, "Parameter"), ...c.runs.map((_, i) => h("th", null, runLetter(i))))),
    h(
      "tbody",
      null,
      ...c.params.map((p) =>
        h(
          "tr",
          { class: p.differs ? "differs" : "", data: { param: paramLabel(p) } },
          h("th", null, paramLabel(p)),
          ...p.values.map((v, i) =>
            h("td", { class: paramMarked(p, i) ? "diff" : "", title: v ?? "not given" }, cellText(v ?? "–", 80)),
          ),
        ),
      ),
    ),
  );
}

function codeSection(changes: readonly CodeChange[]): HTMLElement | null {
  if (changes.length === 0) return null;
  return h(
    "section",
    { id: "code-changes" },
    h("h2", null, "Code changes"),
    ...changes.map((change) => diffDetails(change)),
  );
}

/** Renders the compare page into `app` (the run ids from the address) and keeps it live. */
export async function comparePage(app: HTMLElement): Promise<void> {
  document.title = "Compare · hamilton-ts-ui";
  const ids = compareIdsOf(new URLSearchParams(location.search));
  const problem = compareIdsProblem(ids);
  const title = h("h1", null, ids.length >= 2 ? `Compare ${ids.length} runs` : "Compare runs");
  const body = h("div");
  replace(app, title, body);
  if (problem !== undefined) {
    replace(
      body,
      h("p", { class: "error-title", id: "compare-problem" }, `Cannot compare: ${problem}`),
      h(
        "p",
        null,
        "Tick 2 to 10 runs in ",
        h("a", { href: "/" }, "the runs list"),
        ", or open /compare?runs=<id>,<id>.",
      ),
    );
    app.dataset.view = "compare";
    return;
  }
  async function load(): Promise<void> {
    const answers = await Promise.allSettled(
      ids.map((id) => getJson<RunDetail>(`/api/runs/${encodeURIComponent(id)}`)),
    );
    const missing = answers.flatMap((a, i) =>
      a.status === "rejected" && a.reason instanceof ApiError && a.reason.status === 404 ? [ids[i]!] : [],
    );
    if (missing.length > 0) {
      replace(
        body,
        h(
          "p",
          { class: "error-title", id: "compare-problem" },
          `Cannot compare: no run ${missing.map((id) => JSON.stringify(id)).join(", ")} in the store.`,
        ),
        h("p", null, h("a", { href: "/" }, "All runs")),
      );
      app.dataset.view = "compare";
      return;
    }
    for (const a of answers) if (a.status === "rejected") throw a.reason;
    const details = answers.map((a) => (a as PromiseFulfilledResult<RunDetail>).value);
    const c = compareRuns(details);
    draw(c, details);
    app.dataset.view = "compare";
  }
  function draw(c: RunComparison, details: readonly RunDetail[]): void {
    const columns = `minmax(160px, 1.2fr) repeat(${c.runs.length}, minmax(150px, 1fr))`;
    const codeChanged = new Set(c.summary.codeChanged);
    const list = new VirtualList({
      rowHeight: ROW_HEIGHT,
      maxVisibleRows: 12,
      className: "compare-list",
      renderRow: (i) => {
        const row = c.nodes[i]!;
        const differs = differsWords(row);
        const name = h(
          "div",
          { class: "c cmp-name" },
          h("div", { title: row.key }, row.key),
          codeChanged.has(row.node)
            ? h(
                "button",
                {
                  class: "code-changed",
                  title: "Show the source diff",
                  onClick: () => {
                    const details = document.querySelector<HTMLDetailsElement>(
                      `#code-changes details[data-node="${CSS.escape(row.node)}"]`,
                    );
                    if (details === null) return;
                    details.open = true;
                    details.scrollIntoView({ block: "nearest" });
                  },
                },
                "code changed",
              )
            : null,
        );
        const el = h(
          "div",
          { class: `cmp-row cmp-multi${differs === "" ? "" : " differs"}`, data: { node: row.key, differs } },
          name,
          ...row.cells.map((cell, r) => nodeCell(cell, cellMarks(row, r), r)),
        );
        el.style.gridTemplateColumns = columns;
        return el;
      },
    });
    const head = h(
      "div",
      { class: "cmp-row cmp-multi cmp-head" },
      h("span", { class: "c" }, "node"),
      ...c.runs.map((r, i) => h("span", { class: "c", title: r.runId }, `${runLetter(i)} · ${r.runId}`)),
    );
    head.style.gridTemplateColumns = columns;
    const dag = c.runs[0]!;
    const versions = [...new Set(c.runs.map((r) => r.graphVersion))];
    const versionsLink =
      c.summary.differentDags || versions.length < 2
        ? null
        : h(
            "p",
            null,
            h(
              "a",
              {
                id: "versions-link",
                href: `/versions?${new URLSearchParams({ project: dag.projectId, dag: dag.dagName, a: versions[0]!, b: versions[versions.length - 1]! })}`,
              },
              `The versions of ${dag.dagName}`,
            ),
          );
    replace(
      body,
      runsTable(c, details),
      h(
        "section",
        { id: "what-changed" },
        h("h2", null, "What changed"),
        h(
          "ul",
          null,
          ...summaryLines(c).map((line) => {
            const colon = line.indexOf(": ");
            return h(
              "li",
              { data: { kind: line.slice(0, colon) } },
              h("b", null, line.slice(0, colon)),
              `: ${line.slice(colon + 2)}`,
            );
          }),
        ),
        versionsLink,
      ),
      h("section", null, h("h2", null, "Parameters"), paramsTable(c)),
      h(
        "section",
        null,
        h("h2", null, "Node runs"),
        h(
          "p",
          { class: "muted" },
          `${c.nodes.length} node runs; rows that differ are marked, and in them what differs.`,
        ),
        head,
        list.element,
      ),
      codeSection(c.codeChanges),
    );
    list.setCount(c.nodes.length);
  }
  await load();
  onStoreChange(load);
}
