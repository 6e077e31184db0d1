import { hostname } from "node:os";
import type {
  RemoteTaskEvent,
  RunContextEvent,
  GraphConstructionEvent,
  GraphExecutionEvent,
  GraphExecutionResultEvent,
  GraphInfo,
  LifecycleAdapter,
  NodeExecutionEvent,
  NodeExecutionResultEvent,
} from "@hamilton-ts/lifecycle";
import { cutWarning, isSecretKey, MAX_NODE_WARNINGS, MAX_WARNING_LENGTH } from "@hamilton-ts/lifecycle";
import { DeliveryQueue } from "./delivery-queue.js";
import { IDLE_WRITE_LIMIT_MS, type DeliveryReport, type DeliveryStats } from "./delivery-types.js";
import { describeError, redactAndCut, WarnOnce } from "@hamilton-ts/lifecycle/internal";
import { redactError } from "./redact-error.js";
import { FileSink } from "./file-sink.js";
import {
  checkTimeout,
  resolveOptions,
  type HamiltonTrackerOptions,
  type ResolvedTrackerOptions,
  type TrackerErrorContext,
} from "./options.js";
import type { ErrorInfo, ProjectId, RunRecord, TrackerSink, ValueSummary } from "./records.js";
import { endedRunRecord, nodeRunRecord, type RemoteTask, runRecord } from "./record-builders.js";
import { NODE_RECORD_BYTES, type SizeMeter } from "./record-size.js";
import { PendingStarts } from "./pending-starts.js";
import { errorInfo, summarizeMetered, summarizeRecord } from "./summarize.js";
import { buildTemplate } from "./template.js";

/** The machine runs are recorded on (a run record's `host`), read once. */
const HOST = hostname();

/** Options of {@link HamiltonTracker.flush}. */
export interface FlushOptions {
  /** Stop waiting after this many milliseconds. Default: wait until delivered, however long. */
  readonly timeoutMs?: number;
}

/** Options of {@link HamiltonTracker.shutdown}. */
export interface ShutdownOptions {
  /**
   * Time allowed to deliver what is queued (and to close the sink) before giving up.
   * Default: 10,000 ms.
   */
  readonly timeoutMs?: number;
}

/** What the tracker ships with a distributed run's tasks (`exportRunContext`). */
export interface TrackerRunContext {
  readonly projectId: ProjectId;
  readonly graphVersion: string;
  readonly dagName: string;
}

interface GraphIds {
  readonly graphVersion: string;
  readonly dagHash: string;
  readonly codeHash: string;
  /** True when no node name of the graph looks like a secret (no result is redacted whole). */
  readonly secretFree: boolean;
}

const DISABLED: ValueSummary = Object.freeze({ kind: "disabled" });

/** Node names whose secret-looking-ness is remembered; past it the memory starts again. */
const MAX_REMEMBERED_NAMES = 1 << 17;

/** How long a worker's task waits for its records to reach the sink before it ends (`wrapRemoteTask`). */
export const REMOTE_TASK_DELIVERY_MS = 5_000;

/**
 * A lifecycle adapter that records every run of a dataflow, Hamilton-UI style: the DAG template
 * (nodes, wiring, code) once per graph version, each run and each node run with status, timing,
 * errors, result summaries and the trace/span ids another adapter (the OpenTelemetry tracer) left
 * in the node event's `attributes`.
 *
 * The node hooks only build a small record and queue it (about 2 µs for a small result; summaries
 * of large values are bounded by `summaryLimits`, e.g. ~4 ms for 100,000 numbers); a background loop
 * delivers batches to the sink, retrying with backoff while it is down. The tracker never throws
 * into the pipeline and never makes it wait. Call {@link shutdown} before the process exits.
 *
 * ```ts
 * const tracker = new HamiltonTracker({ projectId: 1, username: "me@example.com", dagName: "rag" });
 * const dr = new Builder().withModules(dataflow).withAdapters(tracker).build();
 * await dr.execute(["answer"], { inputs: { question } });
 * await tracker.shutdown();
 * ```
 */
export class HamiltonTracker implements LifecycleAdapter {
  /** The adapter's name in hamilton-ts error reports. */
  readonly name = "HamiltonTracker";
  /** The options, defaults filled in. */
  readonly options: ResolvedTrackerOptions;
  /** Where the records go. */
  readonly sink: TrackerSink;

  readonly #queue: DeliveryQueue;
  readonly #onError: (error: unknown, context: TrackerErrorContext) => void;
  /** The default reporter's and the after-shutdown notices: each kind once. */
  readonly #warnings = new WarnOnce();
  readonly #versions = new Map<string, GraphIds>();
  readonly #runs = new Map<string, RunRecord>();
  /** Tasks of other processes' runs in progress here (a worker), by run id and task id. */
  readonly #remoteTasks = new Map<string, RemoteTask>();
  /** Runs in progress whose graph has no secret-looking node name. */
  readonly #secretFreeRuns = new Set<string>();
  /** The run of the last node looked at by `#secretName`, and whether it is secret-free. */
  #hotRun: string | undefined;
  #hotRunSecretFree = false;
  /** Whether each node name seen looks like a secret (see `#secretName`). */
  readonly #secretNames = new Map<string, boolean>();
  /** Nodes started whose RUNNING record is not made yet. */
  readonly #starts = new PendingStarts();
  /** Reused by the node hooks to measure a summary while it is built. */
  readonly #meter: SizeMeter = { bytes: 0 };
  #closed = false;
  #shutdown: Promise<DeliveryReport> | undefined;

  /** @throws TrackerError `INVALID_OPTION` naming the option that is wrong. */
  constructor(options: HamiltonTrackerOptions) {
    this.options = resolveOptions(options);
    this.sink = options.sink ?? new FileSink();
    this.#onError = options.onError ?? ((error, context) => this.#warnOnce(error, context));
    this.#queue = new DeliveryQueue(this.sink, this.options.projectId, {
      capacity: this.options.queueCapacity,
      byteBudget: this.options.queueByteBudget,
      batchSize: this.options.batchSize,
      flushIntervalMs: this.options.flushIntervalMs,
      retryInitialDelayMs: this.options.retryInitialDelayMs,
      retryMaxDelayMs: this.options.retryMaxDelayMs,
      sinkTimeoutMs: this.options.sinkTimeoutMs,
      onWriteError: (error, info) => this.#report(error, info.willRetry ? "write" : "rejected"),
      beforeTake: this.#recordStarts,
      // No run in progress: a write that hangs then may be all that keeps an ending script alive.
      isIdle: () => this.#runs.size === 0,
      onExitUndelivered: (report) =>
        console.warn(
          `[hamilton-ts/tracker] The process is exiting without HamiltonTracker.shutdown(): ${describeUndelivered(report)} were not delivered` +
            (report.lastError !== undefined ? ` (last sink error: ${describeError(report.lastError)})` : "") +
            `. Call \`await tracker.shutdown()\` before the script ends to deliver them (writes in flight are abandoned after ${IDLE_WRITE_LIMIT_MS} ms otherwise).`,
        ),
      onFirstDrop: (bound) =>
        console.warn(
          (bound === "capacity"
            ? `[hamilton-ts/tracker] More than ${this.options.queueCapacity} node records are waiting for the sink (is it down or slow?): `
            : `[hamilton-ts/tracker] The records waiting for the sink (is it down or slow?) are estimated at more than ${this.options.queueByteBudget} bytes: `) +
            `dropping the oldest node updates from now on; run and template records are kept. ` +
            `tracker.stats.dropped counts them; raise ${bound === "capacity" ? "queueCapacity" : "queueByteBudget"} to keep more. This is reported once.`,
        ),
    });
  }

  /** Delivery counters: queued, in flight, delivered, dropped, rejected, failed writes. */
  get stats(): DeliveryStats {
    return this.#queue.stats;
  }

  /** Records the DAG template of a newly built graph. */
  afterGraphConstruction(event: GraphConstructionEvent): void {
    if (this.#closed) return;
    try {
      this.#graphIds(event.graph);
    } catch (error) {
      this.#report(error, "afterGraphConstruction");
    }
  }

  /** Records the run as `RUNNING` (and the template, if this graph version is new). */
  beforeGraphExecution(event: GraphExecutionEvent): void {
    try {
      if (this.#closed) return this.#ignored();
      const record = this.#runRecord(event, Date.now());
      this.#runs.set(event.runId, record);
      if (this.#graphIds(event.graph).secretFree) this.#secretFreeRuns.add(event.runId);
      this.#queue.push(record);
    } catch (error) {
      this.#report(error, "beforeGraphExecution");
    }
  }

  /**
   * Records the run's final status. The engine calls this after every node's after-event, so the
   * run record is final only once all its node records are queued; the run is then sent at once.
   */
  afterGraphExecution(event: GraphExecutionResultEvent): void {
    try {
      const started = this.#runs.get(event.runId);
      this.#runs.delete(event.runId);
      this.#secretFreeRuns.delete(event.runId);
      if (this.#hotRun === event.runId) this.#hotRun = undefined;
      if (this.#closed) return this.#ignored();
      const endTime = Date.now();
      const base = started ?? this.#runRecord(event, endTime - event.durationMs);
      const error = event.success ? undefined : errorInfo(event.error, this.options.summaryLimits);
      this.#queue.push(endedRunRecord(base, event.success, endTime, event.durationMs, error));
      this.#queue.requestFlush();
    } catch (error) {
      this.#report(error, "afterGraphExecution");
    }
  }

  /**
   * Notes the node's start. Its `RUNNING` record is made only if the node is still running when
   * the queue sends a batch or another node ends first (see `PendingStarts`): a node that ends
   * before gets its final record only. Hot path: no I/O, no await, no record.
   */
  beforeNodeExecution(event: NodeExecutionEvent): void {
    if (this.#closed) return;
    try {
      const starts = this.#starts;
      starts.push(event, Date.now(), this.#remoteTask(event));
      // A node that runs long gets its RUNNING record within flushIntervalMs.
      if (starts.size === 1) this.#queue.armTimer();
    } catch (error) {
      this.#report(error, "beforeNodeExecution");
    }
  }

  /** Queues the `RUNNING` records of the nodes started and still running (oldest first). */
  readonly #recordStarts = (): void => {
    if (this.#starts.size !== 0) this.#starts.record(this.#recordStart);
  };

  readonly #recordStart = (event: NodeExecutionEvent, startTime: number, remote: RemoteTask | undefined): void => {
    try {
      this.#queue.push(
        nodeRunRecord(
          event,
          "RUNNING",
          startTime,
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          remote,
        ),
        NODE_RECORD_BYTES,
      );
    } catch (error) {
      // One start that cannot be read (a hostile event) costs only its own RUNNING record.
      this.#report(error, "beforeNodeExecution");
    }
  };

  /**
   * Queues the node's final record: status, timing, the result's summary or the error with its
   * stack, and `trace_id`/`span_id` from the event's `attributes`. Hot path: no I/O, no await.
   */
  afterNodeExecution(event: NodeExecutionResultEvent): void {
    if (this.#closed) return;
    try {
      // The node's own start, last remembered (the common case: a synchronous node): its RUNNING
      // record is not needed, and its end is the clock at its start plus its duration, in whole
      // milliseconds as the clock reads (one clock read per node run, not two). Otherwise other
      // nodes started since are still running: their RUNNING records (and this one's) go first,
      // and the end is read from the clock. Either way the start is the end less the duration.
      const started = this.#starts.popIfLast(event);
      let endTime: number;
      if (started >= 0) endTime = Math.floor(started + event.durationMs);
      else {
        this.#recordStarts();
        endTime = Date.now();
      }
      const ok = event.success;
      const warnings = event.warnings;
      const meter = this.#meter;
      meter.bytes = NODE_RECORD_BYTES;
      const error = ok ? undefined : errorInfo(event.error, this.options.summaryLimits);
      if (error !== undefined) meter.bytes += errorBytes(error);
      let kept: string[] | undefined;
      // Warnings the engine dropped (past its own cap) plus those cut here.
      let dropped = event.warningsDropped ?? 0;
      if (warnings !== undefined && warnings.length > 0) {
        kept = boundWarnings(warnings);
        dropped += warnings.length - kept.length;
        for (const warning of kept) meter.bytes += warning.length + 4;
      }
      const result = ok
        ? this.options.captureDataStatistics
          ? summarizeMetered(event.result, this.options.summaryLimits, this.#secretName(event), meter)
          : DISABLED
        : undefined;
      this.#queue.push(
        nodeRunRecord(
          event,
          ok ? "SUCCESS" : "FAILURE",
          endTime - event.durationMs,
          endTime,
          event.durationMs,
          result,
          error,
          kept,
          dropped > 0 ? dropped : undefined,
          this.#remoteTask(event),
        ),
        meter.bytes,
      );
    } catch (error) {
      this.#report(error, "afterNodeExecution");
    }
  }

  /**
   * Distributed runs, coordinator side: what a worker's tracker needs to put its node runs in
   * this run (the project, the graph version, the DAG's name), shipped with every task.
   */
  exportRunContext(event: RunContextEvent): TrackerRunContext | undefined {
    if (this.#closed || !this.#runs.has(event.runId)) return undefined;
    return { projectId: this.options.projectId, graphVersion: event.graph.version, dagName: this.options.dagName };
  }

  /**
   * Distributed runs, worker side: the task's node runs are recorded under the coordinator's run
   * id (the node events carry it), each with the worker (`<host>:<pid>`) and the task's attempt.
   * A worker writes to its own sink: give it the coordinator's store (`FileSink` on a shared
   * directory) and project. A different project in the run context is warned about once. The
   * task ends only once its records are delivered (at most {@link REMOTE_TASK_DELIVERY_MS} later),
   * so a worker killed after it handed a task back leaves that task's records in the store.
   */
  async wrapRemoteTask(event: RemoteTaskEvent, next: () => Promise<unknown>): Promise<unknown> {
    const key = `${event.runId}\0${event.taskId}`;
    const context = event.runContext as Partial<TrackerRunContext> | undefined;
    if (context !== undefined && context !== null && context.projectId !== this.options.projectId) {
      this.#warnings.warn(
        "remote-project",
        () =>
          `[hamilton-ts/tracker] A task of run ${event.runId} comes from a coordinator tracking project ` +
          `${String(context.projectId)}, but this worker's tracker records project ${String(this.options.projectId)}: ` +
          `its node runs will not be in the coordinator's run. Give both trackers the same projectId and store.`,
      );
    }
    this.#remoteTasks.set(key, { worker: event.worker, attempt: event.attempt });
    try {
      return await next();
    } finally {
      this.#remoteTasks.delete(key);
      // The task's records reach the sink before the task counts as done: a worker killed after
      // it acknowledged the task would otherwise take them along, and the run's record would
      // lack a task that ran. Bounded, so a sink that is down delays a task, never holds it.
      if (!this.#closed) await this.#queue.flush(REMOTE_TASK_DELIVERY_MS);
    }
  }

  /**
   * `name` when it looks like a secret (its node's result is then redacted whole), else undefined.
   * Remembered per name: the shared rule's cache holds 4,096 keys, fewer than a large graph's
   * nodes, and computing it again per node run was a tenth of the hot path.
   */
  #secretName(event: NodeExecutionEvent): string | undefined {
    // Most node runs belong to a run of this process whose graph has no secret-looking name.
    const runId = event.runId;
    if (runId !== this.#hotRun) {
      this.#hotRun = runId;
      this.#hotRunSecretFree = this.#secretFreeRuns.has(runId);
    }
    if (this.#hotRunSecretFree) return undefined;
    const name = event.node.name;
    let secret = this.#secretNames.get(name);
    if (secret === undefined) {
      secret = isSecretKey(name);
      if (this.#secretNames.size >= MAX_REMEMBERED_NAMES) this.#secretNames.clear();
      this.#secretNames.set(name, secret);
    }
    return secret ? name : undefined;
  }

  #remoteTask(event: NodeExecutionEvent): RemoteTask | undefined {
    const tasks = this.#remoteTasks;
    return tasks.size === 0 ? undefined : tasks.get(`${event.runId}\0${event.taskId}`);
  }

  /**
   * Sends everything queued so far and resolves once the sink has it (failed writes are retried),
   * or after `timeoutMs`. Never rejects for a delivery problem (the report says what is still
   * undelivered); rejects with `INVALID_OPTION` for a `timeoutMs` that is not 0 to 2³¹ − 1 ms.
   */
  flush(options: FlushOptions = {}): Promise<DeliveryReport> {
    let timeoutMs: number | undefined;
    try {
      timeoutMs = checkTimeout("flush", options?.timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#queue.flush(timeoutMs).then(redactReport);
  }

  /**
   * Delivers what is queued (within `timeoutMs`, default 10 s), closes the sink and stops the
   * tracker: later events are ignored. Rejects only with `INVALID_OPTION` for a `timeoutMs` that is
   * not 0 to 2³¹ − 1 ms (the tracker is then not shut down). Otherwise resolves with a report of what could not be
   * delivered (also logged with `console.warn` when anything is left). Calling it again returns
   * the same report.
   */
  shutdown(options: ShutdownOptions = {}): Promise<DeliveryReport> {
    let timeoutMs: number | undefined;
    try {
      timeoutMs = checkTimeout("shutdown", options?.timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#shutdown ??= this.#doShutdown(timeoutMs ?? 10_000);
    return this.#shutdown;
  }

  async #doShutdown(timeoutMs: number): Promise<DeliveryReport> {
    this.#closed = true;
    const started = Date.now();
    const report = redactReport(await this.#queue.close(timeoutMs));
    if (typeof this.sink.close === "function") {
      const left = Math.max(1, timeoutMs - (Date.now() - started));
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          this.sink.close(),
          new Promise((_, reject) => {
            // Not unref'd: shutdown() is awaited; this bounds it.
            timer = setTimeout(() => reject(new Error(`the sink's close() did not finish within ${left} ms`)), left);
          }),
        ]);
      } catch (error) {
        this.#report(error, "close");
      } finally {
        clearTimeout(timer);
      }
    }
    if (!report.complete || report.rejected > 0 || report.dropped > 0) {
      console.warn(
        `[hamilton-ts/tracker] shutdown: ${describeUndelivered(report)} could not be delivered ` +
          `within ${timeoutMs} ms` +
          (report.dropped > 0 ? `; ${report.dropped} node records were dropped because the queue was full` : "") +
          (report.rejected > 0
            ? `; ${report.rejected} records were rejected by the sink (the report's rejectedRecords has the last ${report.rejectedRecords.length})`
            : "") +
          (report.lastError !== undefined ? `. Last sink error: ${describeError(report.lastError)}` : "") +
          `. The returned report lists the undelivered records.`,
      );
    }
    return report;
  }

  /** The ids of a graph version; its template is queued the first time the version is seen. */
  #graphIds(graph: GraphInfo): GraphIds {
    const version = graph.version; // computed once per graph by the engine
    let ids = this.#versions.get(version);
    if (ids === undefined) {
      const template = buildTemplate(graph, this.options.dagName, this.options.tags, this.options.summaryLimits);
      ids = {
        graphVersion: version,
        dagHash: template.dagHash,
        codeHash: template.codeHash,
        secretFree: !graph.nodes.some((node) => isSecretKey(node.name)),
      };
      this.#versions.set(version, ids);
      this.#queue.push(template);
    }
    return ids;
  }

  /**
   * A run's `RUNNING` record. Also rebuilds the start of a run whose before-event this tracker did
   * not see (it was added mid-run) from its after-event.
   */
  #runRecord(event: GraphExecutionEvent, startTime: number): RunRecord {
    const ids = this.#graphIds(event.graph);
    const { summaryLimits: limits, captureDataStatistics } = this.options;
    const config = event.graph.config;
    // Inputs are the caller's inputs merged with config: record config once, under `config`.
    const skipConfig = (key: string, value: unknown) => Object.hasOwn(config, key) && config[key] === value;
    return runRecord({
      runId: event.runId,
      dagName: this.options.dagName,
      ...ids,
      username: this.options.username,
      host: HOST,
      pid: process.pid,
      status: "RUNNING",
      startTime,
      endTime: undefined,
      durationMs: undefined,
      finalVars: [...event.finalVars],
      inputs: captureDataStatistics
        ? summarizeRecord(event.inputs, limits, skipConfig)
        : namesOnly(event.inputs, skipConfig),
      overrides: Object.keys(event.overrides),
      config: captureDataStatistics ? summarizeRecord(config, limits) : namesOnly(config),
      tags: this.options.tags,
      error: undefined,
    });
  }

  #ignored(): void {
    this.#warnings.warn(
      "ignored",
      () =>
        "[hamilton-ts/tracker] A run started or ended after HamiltonTracker.shutdown(): it is not recorded. " +
        "Create a new tracker for new runs. This is reported once.",
    );
  }

  #report(error: unknown, context: TrackerErrorContext): void {
    try {
      // Secrets in a sink's or a hook's error (an echoed header, a key in a URL) stay here.
      this.#onError(redactError(error), context);
    } catch {
      // A reporting callback that throws must not reach the pipeline.
    }
  }

  #warnOnce(error: unknown, context: TrackerErrorContext): void {
    this.#warnings.warn(context, () => this.#describeProblem(error, context));
  }

  #describeProblem(error: unknown, context: TrackerErrorContext): string {
    const cause = describeError(error);
    let what: string;
    if (context === "write")
      what = `could not deliver records to its sink (${cause}); it keeps them and retries with backoff`;
    else if (context === "rejected")
      what = `had records rejected by its sink (${cause}); they were discarded, since sending them again cannot succeed`;
    else if (context === "close") what = `could not close its sink (${cause})`;
    else what = `failed in ${context} (${cause}); the pipeline is unaffected`;
    return `[hamilton-ts/tracker] HamiltonTracker ${what}. Further such messages are not shown; pass onError to see them all.`;
  }
}

/** The report with its `lastError` redacted (see `redactError`). */
function redactReport(report: DeliveryReport): DeliveryReport {
  return report.lastError === undefined ? report : { ...report, lastError: redactError(report.lastError) };
}

/**
 * At most {@link MAX_NODE_WARNINGS} warnings, each redacted (the lifecycle rule) and cut to
 * {@link MAX_WARNING_LENGTH} characters.
 */
function boundWarnings(warnings: readonly string[]): string[] {
  const n = Math.min(warnings.length, MAX_NODE_WARNINGS);
  const kept = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const warning = warnings[i];
    const text = typeof warning === "string" ? warning : `a warning that is not a string (${typeof warning})`;
    kept[i] = cutWarning(redactAndCut(text, MAX_WARNING_LENGTH));
  }
  return kept;
}

/** `N records of M runs`, of a report's undelivered records. */
function describeUndelivered(report: DeliveryReport): string {
  const runs = new Set<string>();
  for (const record of report.undelivered) if (record.type !== "dag_template") runs.add(record.runId);
  return `${report.undelivered.length} records of ${runs.size} runs`;
}

/** Estimated bytes of an error's description (its texts dominate). */
function errorBytes(error: ErrorInfo): number {
  return (
    64 +
    error.type.length +
    error.message.length +
    (error.stack?.length ?? 0) +
    (error.cause === undefined ? 0 : errorBytes(error.cause))
  );
}

/** With `captureDataStatistics: false`: the keys, values not looked at. */
function namesOnly(
  record: Readonly<Record<string, unknown>>,
  skip?: (key: string, value: unknown) => boolean,
): Record<string, ValueSummary> {
  const out: Record<string, ValueSummary> = {};
  for (const key of Object.keys(record)) {
    if (skip?.(key, record[key])) continue;
    out[key] = DISABLED;
  }
  return out;
}
