/**
 * One demo run, once telemetry is up: start the LLM and the tracker, build the driver with both
 * adapters, execute, print what happened, and flush every exporter and sink whatever happens.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Builder } from "@hamilton-ts/core";
import { OpenTelemetryTracer } from "@hamilton-ts/opentelemetry";
import type { DeliveryReport } from "@hamilton-ts/tracker";
import type { DemoConfig } from "./config.js";
import { type Distributed, spansFromFile } from "./distributed.js";
import * as dataflow from "./dataflow.js";
import { startLlm } from "./llm.js";
import type { LlmEndpoint } from "./llm.js";
import { ProgressReporter } from "./progress.js";
import { describeFailure, displayPath, heading, indent, openRunRows, rows } from "./report.js";
import { RunInfo } from "./run-info.js";
import type { Style } from "./style.js";
import type { Telemetry } from "./telemetry.js";
import { renderTraceTree } from "./trace-tree.js";
import { startTracking, TrackingSetupError } from "./tracking.js";
import type { Tracking } from "./tracking.js";

/** What {@link run} needs from `main`. */
export interface RunContext {
  readonly config: DemoConfig;
  readonly telemetry: Telemetry;
  readonly style: Style;
  readonly print: (...lines: string[]) => void;
  readonly fail: (message: string) => void;
  /** Aborts the run (Ctrl-C). */
  readonly signal: AbortSignal;
  /** DEMO_WORKERS: the worker processes the fan-out runs on. */
  readonly distributed?: Distributed | undefined;
}

/** The outputs the demo asks for. */
export const FINAL_VARS = ["universalTruth", "digest"] as const;

/** The name of the dataflow in traces (workflow) and in the tracker (DAG). */
export const DAG_NAME = "hamilton-ts-demo";

/** The store `pnpm --filter demo ui` serves: `.hamilton-ts` in the demo's folder. */
const UI_STORE_DIR = join(fileURLToPath(new URL("..", import.meta.url)), ".hamilton-ts");

/** What to check when spans could not be exported, per destination. */
const EXPORT_HINTS = {
  otlp: "Is the collector (or Jaeger) running and listening for OTLP/HTTP there? Unset OTEL_EXPORTER_OTLP_ENDPOINT to write spans to a local file instead.",
  traceloop:
    "Check TRACELOOP_API_KEY (and TRACELOOP_BASE_URL) and the network; unset TRACELOOP_API_KEY to write spans to a local file instead.",
  file: "Check that the folder is writable, or set DEMO_OUTPUT_DIR to one that is.",
} as const;

/** Runs the demo; resolves with the process exit code. */
export async function run(ctx: RunContext): Promise<number> {
  const { config, telemetry, style: s, print } = ctx;
  const cwd = process.cwd();
  const path = (p: string): string => displayPath(p, cwd);

  print(
    `${s.bold("hamilton-ts demo")} ${s.dim("· an LLM dataflow, traced by OpenTelemetry and recorded by the tracker, side by side")}`,
  );
  for (const note of config.notes) print(s.yellow(`  note: ${note}`));

  let llm: LlmEndpoint | undefined;
  let tracking: Tracking | undefined;
  try {
    llm = await startLlm(config.llm);
    try {
      tracking = await startTracking(config.tracker, { dagName: DAG_NAME, tags: { app: "demo" } });
    } catch (error) {
      if (!(error instanceof TrackingSetupError)) throw error;
      ctx.fail(`The tracker cannot use the Hamilton UI: ${error.message}`);
      return 2;
    }
    const traceDestination =
      config.traces.kind === "file" ? `OTLP JSON lines → ${path(config.traces.path)}` : telemetry.description;
    const trackerDestination =
      config.tracker.kind === "file" ? `local store (FileSink) → ${path(config.tracker.dir)}` : tracking.description;
    print(
      "",
      ...rows(
        [
          ["LLM", llm.description],
          ["traces", traceDestination],
          ["tracker", trackerDestination],
          ...(ctx.distributed ? [["fan-out", ctx.distributed.description] as [string, string]] : []),
        ],
        s,
      ),
    );

    const runInfo = new RunInfo();
    const builder = new Builder().withModules(dataflow).withAdapters(
      // Notes each run's id and, once the tracer made the run span, its trace id.
      runInfo,
      // Then the tracer: it leaves each node's trace and span ids for the adapters after it.
      new OpenTelemetryTracer({
        workflowName: DAG_NAME,
        recordInputs: config.recordContent,
        recordOutputs: config.recordContent,
      }),
      tracking.tracker,
      new ProgressReporter({ out: process.stdout, live: process.stdout.isTTY === true, style: s }),
    );
    // DEMO_CACHE=off runs every node; else a second run answers from the cache. The client is
    // rebuilt each run (the local server's port changes): the LLM nodes' keys leave it out and
    // keep their prompt and model.
    const cached = config.cache
      ? builder.withCache({ dir: join(config.outputDir, ".cache"), nodes: { llmClient: "ignore" } })
      : builder;
    // Distributed: the follow-up answers run on the workers. The LLM's address is config there, so
    // that each worker builds its own llmClient (a client cannot cross processes; config travels).
    const dr = ctx.distributed
      ? cached.withConfig({ openaiBaseUrl: llm.baseURL }).withTaskExecutor(ctx.distributed.executor).build()
      : cached.build();
    const inputs: { openaiBaseUrl?: string; model: string } = ctx.distributed
      ? { model: config.model }
      : { openaiBaseUrl: llm.baseURL, model: config.model };

    print(
      heading(`Running ${FINAL_VARS.join(" and ")} ${s.dim(`(model ${config.model}; LLM nodes run concurrently)`)}`, s),
    );
    let results: { universalTruth: string; digest: string } | undefined;
    let failure: unknown;
    try {
      results = await dr.execute(FINAL_VARS, { inputs, signal: ctx.signal });
    } catch (error) {
      failure = error;
    }
    // execute settles once the run is over for every adapter, failed or aborted too (the engine's
    // structured completion): the run span and the tracker's final record exist now. Flush them,
    // so what the report points at is there.
    const ids = runInfo.last;
    const [exportError, delivery] = await Promise.all([telemetry.flush(), tracking.flush()]);

    if (results) {
      print(
        heading("universalTruth", s),
        ...indent(results.universalTruth),
        heading("digest", s),
        ...indent(results.digest),
      );
    }

    let spans = telemetry.spans().filter((span) => ids?.traceId === undefined || span.traceId === ids.traceId);
    if (ctx.distributed && ids?.traceId !== undefined) {
      // The workers flush their spans as they stop; with a file destination, read theirs back.
      await ctx.distributed.stop();
      if (config.traces.kind === "file") {
        const own = new Set(spans.map((span) => span.spanId));
        const theirs = (await spansFromFile(config.traces.path, ids.traceId)).filter((span) => !own.has(span.spanId));
        spans = [...spans, ...theirs];
        const pids = new Set(theirs.map((span) => span.attributes["process.pid"]).filter((pid) => pid !== undefined));
        print(
          s.dim(
            `\n  one trace from ${pids.size + 1} processes: this one (pid ${process.pid}) and the workers (pid ${[...pids].join(", ")})`,
          ),
        );
      }
    }
    if (spans.length > 0) {
      print(heading(`The trace ${s.dim(`(${spans.length} spans: the run, its nodes, their LLM calls)`)}`, s));
      print(...indent(renderTraceTree(spans, s).join("\n"), "  "));
    }

    print(heading("Where it went", s));
    const where: [string, string][] = [
      [
        "traces",
        exportError === undefined
          ? `${traceDestination}${ids?.traceId ? `  ${s.dim(`trace id ${ids.traceId}`)}` : ""}`
          : s.red(`✗ ${traceDestination}: not exported (${exportError})`),
      ],
    ];
    if (ids) {
      const record = tracking.where(ids.runId);
      where.push(["tracker", `${config.tracker.kind === "file" ? path(record) : record}${deliveryNote(delivery, s)}`]);
      where.push(["linked", s.dim("each node run in the tracker carries the trace id and span id of its node's span")]);
      where.push(
        ...openRunRows(
          config.tracker.kind === "file"
            ? { kind: "file", runId: ids.runId, dir: config.tracker.dir, uiDir: UI_STORE_DIR }
            : { kind: "hamilton-ui", runUrl: tracking.runUrl(ids.runId) },
        ),
      );
    }
    print(...rows(where, s));

    print(heading("The DAG, as Mermaid", s) + s.dim("  (paste it into https://mermaid.live or a markdown file)"));
    print("```mermaid", dr.visualizeExecution(FINAL_VARS, { inputs }).trimEnd(), "```");

    if (failure !== undefined && ctx.signal.aborted) {
      ctx.fail(
        "Interrupted: the run stopped before it finished. The trace and the tracker recorded what ran (status ERROR / FAILURE).",
      );
      return 1;
    }
    if (failure !== undefined) {
      ctx.fail(
        `The run failed: ${describeFailure(failure)}\n` +
          "  The trace and the tracker recorded it too: span status ERROR, node run FAILURE, with this message.",
      );
      return 1;
    }
    if (exportError !== undefined) {
      ctx.fail(
        `The run succeeded, but its spans could not be exported (${traceDestination}): ${exportError}\n  ${EXPORT_HINTS[config.traces.kind]}`,
      );
      return 1;
    }
    return 0;
  } finally {
    // Deliver whatever is left (also after an error above) and close everything.
    await Promise.allSettled([telemetry.flush(), tracking?.shutdown(), llm?.close()]);
  }
}

function deliveryNote(report: DeliveryReport, s: Style): string {
  if (report.complete && report.rejected === 0 && report.dropped === 0) return "";
  const problems = [
    report.undelivered.length > 0 ? `${report.undelivered.length} records not delivered yet` : "",
    report.rejected > 0 ? `${report.rejected} rejected` : "",
    report.dropped > 0 ? `${report.dropped} dropped` : "",
  ].filter(Boolean);
  return `  ${s.yellow(`(${problems.join(", ")}; see the warnings above)`)}`;
}
