/** The node-run panel: code, tags, inputs, result summary, error, warnings, and the link to its span. */
import { h } from "./dom.js";
import { formatDuration, formatTime, statusClass, statusWord } from "./format.js";
import { fullSummary } from "./summary.js";
import { nodeLink, spanLink } from "./selection.js";
import { inputSummary } from "./summary-text.js";
import type { ErrorInfo, NodeRun, NodeTemplate } from "./types.js";

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
  /** True when the trace holds the node run's span. */
  readonly spanKnown: boolean;
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
    panel.append(
      h("p", null, h("span", { class: "badge s-pending" }, "not run"), " This node has no node run in this run."),
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
        run.cache === undefined ? null : `, cache ${run.cache}`,
      ),
    );
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
                ? input.inputs.has(dep)
                  ? template.optionalDependencies.includes(dep)
                    ? "an input, not given (the default was used)"
                    : "an input"
                  : "not run"
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
    panel.append(
      section(
        "Code",
        h(
          "div",
          { class: "muted" },
          `${template.kind} · function ${template.functionName} · version ${template.version}`,
        ),
        template.documentation ? h("p", { class: "doc" }, template.documentation) : null,
        template.source
          ? h("pre", { class: "code" }, template.source)
          : h("div", { class: "muted" }, "an input, no code"),
      ),
    );
  }
  return panel;
}
