/**
 * The node-run panel: what the cache did and why, its LLM calls, code (the user's source with its
 * file and line), tags, the inputs it took (an input of the DAG as the run recorded it), result
 * summary, error, warnings, and the link to its span.
 */
import type { LlmUsage } from "../../src/llm-usage.js";
import { cacheLine } from "./cache-text.js";
import { h } from "./dom.js";
import { formatDuration, formatTime, statusClass, statusWord } from "./format.js";
import { fullSummary } from "./summary.js";
import { historyHref } from "./history-data.js";
import { nodeLink, spanLink } from "./selection.js";
import { usageText } from "./llm-text.js";
import { inputTruth } from "./run-facts.js";
import { inputSummary } from "./summary-text.js";
import type { ErrorInfo, NodeRun, NodeTemplate, RunRecord } from "./types.js";

function errorBlock(error: ErrorInfo): HTMLElement {
  return h(
    "div",
    { class: "error" },
    h("div", { class: "error-title" }, `${error.type}: ${error.message}`),
    error.stack === undefined ? null : h("pre", { class: "stack" }, error.stack),
    error.cause === undefined ? null : h("div", { class: "cause" }, "Caused by: ", errorBlock(error.cause)),
  );
}

function section(title: string, ...body: (HTMLElement | string | null)[]): HTMLElement {
  return h("section", { class: "detail-section" }, h("h4", null, title), ...body);
}

/** Everything the panel needs. */
export interface NodeDetailInput {
  readonly run: NodeRun | undefined;
  readonly node: string;
  readonly template: NodeTemplate | undefined;
  /** Every node run of this node (fan-out items, attempts). */
  readonly siblings: readonly NodeRun[];
  /** Node runs by node name (the inputs' results). */
  readonly byNode: ReadonlyMap<string, readonly NodeRun[]>;
  readonly runStart: number;
  /** The DAG's input nodes (values the caller gives; they have no node runs). */
  readonly inputs: ReadonlySet<string>;
  /** The inputs some node declares a default for. */
  readonly optionalInputs: ReadonlySet<string>;
  /** True when the trace holds the node run's span. */
  readonly spanKnown: boolean;
  /** The run's record: what its inputs, overrides and config were. */
  readonly runRecord: RunRecord;
  /** True while the run is in progress (a node without a node run is waiting). */
  readonly live: boolean;
  /** The node run's LLM calls, when it made any (undefined: none, or the trace is not read yet). */
  readonly llm: LlmUsage | undefined;
}

/** A cache line: the outcome word, what it means, and for a hit the link to the run that stored the value. */
function cacheBlock(run: NodeRun, inputs: ReadonlySet<string>): HTMLElement | null {
  const line = cacheLine(run, inputs);
  if (line === undefined) return null;
  return h(
    "p",
    { class: "cache-line" },
    h("span", { class: "badge s-pending cache-word" }, line.word),
    " ",
    line.text,
    line.fromRun === undefined
      ? null
      : h("a", { class: "cache-from", href: `/runs/${encodeURIComponent(line.fromRun)}` }, line.fromRun),
    run.cacheKey === undefined ? null : h("span", { class: "muted" }, ` · key ${run.cacheKey.slice(0, 16)}`),
  );
}

/** The code section: the source's file and line, a note when only compiled code was found, the text. */
function codeSection(template: NodeTemplate): HTMLElement {
  const location =
    template.sourceFile === undefined
      ? null
      : h(
          "div",
          { class: "source-location" },
          template.sourceLine === undefined ? template.sourceFile : `${template.sourceFile}:${template.sourceLine}`,
        );
  return section(
    "Code",
    h("div", { class: "muted" }, `${template.kind} · function ${template.functionName} · version ${template.version}`),
    template.documentation ? h("p", { class: "doc" }, template.documentation) : null,
    location,
    template.source && template.sourceMapped === false
      ? h("div", { class: "compiled-note" }, "compiled code (no source map found)")
      : null,
    template.source ? h("pre", { class: "code" }, template.source) : h("div", { class: "muted" }, "an input, no code"),
  );
}

/** What a dependency without a node run was: an input as recorded, an override, or not run (yet). */
function missingDependency(dep: string, template: NodeTemplate, input: NodeDetailInput): string {
  const optional = template.optionalDependencies.includes(dep);
  if (input.inputs.has(dep)) return inputTruth(dep, input.runRecord, optional);
  if (input.runRecord.overrides?.includes(dep)) return "overridden (its value is not recorded)";
  return input.live ? "waiting" : "not run";
}

/** Builds the node-run panel. */
export function nodeDetail(input: NodeDetailInput): HTMLElement {
  const { run, node, template } = input;
  const panel = h("div", { class: "node-detail", data: { node } });
  panel.append(
    h(
      "h3",
      null,
      node,
      run?.taskId === undefined ? null : h("span", { class: "task" }, ` [${run.taskId}]`),
      run !== undefined && run.attempt > 1 ? h("span", { class: "muted" }, ` attempt ${run.attempt}`) : null,
    ),
  );
  if (run === undefined) {
    const overridden = input.runRecord.overrides?.includes(node) ?? false;
    const isInput = template?.classification === "input" || input.inputs.has(node);
    panel.append(
      isInput
        ? h(
            "p",
            null,
            h("span", { class: "badge s-pending" }, "input"),
            " An input of the DAG (no node run): ",
            h("span", { class: "input-truth" }, inputTruth(node, input.runRecord, input.optionalInputs.has(node))),
          )
        : overridden
          ? h(
              "p",
              null,
              h("span", { class: "badge s-pending" }, "overridden"),
              " The caller gave this node's value (an override): it did not run.",
            )
          : input.live
            ? h("p", null, h("span", { class: "badge s-pending" }, "waiting"), " This node has not started yet.")
            : h(
                "p",
                null,
                h("span", { class: "badge s-pending" }, "not run"),
                " This node has no node run in this run.",
              ),
    );
  } else {
    panel.append(
      h(
        "p",
        { class: "meta" },
        h("span", { class: `badge ${statusClass(run.status)}` }, statusWord(run.status)),
        ` started ${formatTime(run.startTime)} (+${formatDuration(run.startTime - input.runStart)}), `,
        run.endTime === undefined
          ? "still running"
          : `took ${formatDuration(run.durationMs ?? run.endTime - run.startTime)}`,
      ),
    );
    const cache = cacheBlock(run, input.inputs);
    if (cache !== null) panel.append(cache);
    if (input.llm !== undefined && input.llm.calls > 0) {
      panel.append(h("p", { class: "node-llm" }, usageText(input.llm)));
    }
    if (run.spanId !== undefined) {
      panel.append(
        h(
          "p",
          null,
          h("a", { class: "span-link", href: spanLink(run.spanId) }, "Its span in the trace"),
          input.spanKnown ? null : h("span", { class: "muted" }, " (not in the trace file yet)"),
        ),
      );
    } else {
      panel.append(
        h(
          "p",
          { class: "muted" },
          "No span recorded for this node run: no OpenTelemetry tracer adapter ran for it, or no OpenTelemetry SDK " +
            "was registered in the process that ran it (register one before running; see @hamilton-ts/opentelemetry's README).",
        ),
      );
    }
  }
  if (!input.inputs.has(node)) {
    const href = historyHref(input.runRecord.projectId, input.runRecord.dagName, node);
    panel.append(h("p", null, h("a", { class: "history-link", href }, "history of this node")));
  }
  if (input.siblings.length > 1) {
    const list = h("ul", { class: "siblings" });
    for (const s of input.siblings.slice(0, 200)) {
      list.append(
        h(
          "li",
          null,
          h("a", { href: nodeLink(s.node, s.taskId, s.attempt) }, s.taskId ?? `attempt ${s.attempt}`),
          " ",
          h("span", { class: `badge ${statusClass(s.status)}` }, statusWord(s.status)),
        ),
      );
    }
    panel.append(section(`Node runs of ${node} (${input.siblings.length})`, list));
  }
  if (run?.error !== undefined) panel.append(section("Error", errorBlock(run.error)));
  if (run?.warnings !== undefined && run.warnings.length > 0) {
    panel.append(
      section(
        "Warnings",
        h("ul", { class: "warnings" }, ...run.warnings.map((w) => h("li", null, w))),
        run.warningsDropped ? h("div", { class: "muted" }, `${run.warningsDropped} more not kept`) : null,
      ),
    );
  }
  if (run !== undefined && run.status === "SUCCESS") panel.append(section("Result", fullSummary(run.result)));
  if (template !== undefined) {
    if (template.dependencies.length > 0) {
      const table = h("table", { class: "kv inputs" });
      for (const dep of template.dependencies) {
        const all = input.byNode.get(dep) ?? [];
        // A fan-out item took the input of its own task when there is one.
        const sameTask = run?.taskId === undefined ? [] : all.filter((r) => r.taskId === run.taskId);
        const depRuns = sameTask.length > 0 ? sameTask : all;
        const last = depRuns[depRuns.length - 1];
        table.append(
          h(
            "tr",
            null,
            h(
              "th",
              null,
              h(
                "a",
                { href: depRuns.length === 1 ? nodeLink(dep, depRuns[0]!.taskId, depRuns[0]!.attempt) : nodeLink(dep) },
                dep,
              ),
              template.optionalDependencies.includes(dep) ? " (optional)" : "",
            ),
            h(
              "td",
              null,
              last === undefined
                ? missingDependency(dep, template, input)
                : depRuns.length > 1
                  ? `${depRuns.length} node runs`
                  : inputSummary(dep, last, run),
            ),
          ),
        );
      }
      panel.append(section("Inputs taken", table));
    }
    const tags = Object.entries(template.tags);
    if (tags.length > 0) {
      panel.append(
        section(
          "Tags",
          h(
            "table",
            { class: "kv" },
            ...tags.map(([k, v]) =>
              h("tr", null, h("th", null, k), h("td", null, typeof v === "string" ? v : v.join(", "))),
            ),
          ),
        ),
      );
    }
    panel.append(codeSection(template));
  }
  return panel;
}
