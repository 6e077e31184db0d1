/**
 * Shows a run's progress: nodes starting and finishing, with times. On a terminal, a live view
 * redrawn in place (pending, running with a spinner, done, failed); otherwise plain lines, one per
 * event, that read well in logs and CI.
 */
import type {
  GraphExecutionEvent,
  GraphExecutionResultEvent,
  LifecycleAdapter,
  NodeExecutionEvent,
  NodeExecutionResultEvent,
} from "@hamilton-ts/core";
import { createStyle, formatDuration, visibleLength } from "./style.js";
import type { Style } from "./style.js";

/** Where and how {@link ProgressReporter} writes. */
export interface ProgressOptions {
  /** The stream to write to (`process.stdout`). */
  readonly out: { write(text: string): unknown; readonly columns?: number };
  /** Redraw a live view in place (for terminals) instead of writing one line per event. */
  readonly live: boolean;
  /** Colours; none by default. */
  readonly style?: Style;
  /** Milliseconds between redraws of the live view. Default 80. */
  readonly frameMs?: number;
  /** The clock, in milliseconds. Default `performance.now`. */
  readonly now?: () => number;
}

type State = "pending" | "running" | "done" | "failed";

interface Entry {
  readonly key: string;
  readonly label: string;
  state: State;
  startedAt: number;
  durationMs: number;
  error: string;
  /** Answered from the engine's cache (the node did not run). */
  hit: boolean;
}

interface RunView {
  readonly startedAt: number;
  readonly entries: Entry[];
  timer: ReturnType<typeof setInterval> | undefined;
  drawnLines: number;
  frame: number;
}

/** What a node answered from the engine's cache is marked with, in progress lines and the trace tree. */
export const CACHE_HIT = "cache hit";

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const LABEL_WIDTH = 36;

/** The label of a node run: its name, plus the fan-out task (`followUpAnswer followUpQuestion[0]`). */
export function nodeLabel(event: Pick<NodeExecutionEvent, "node" | "taskId">): string {
  return event.taskId === undefined ? event.node.name : `${event.node.name} ${event.taskId}`;
}

/** A lifecycle adapter that reports node starts and ends as they happen. */
export class ProgressReporter implements LifecycleAdapter {
  readonly name = "ProgressReporter";
  readonly #out: ProgressOptions["out"];
  readonly #live: boolean;
  readonly #style: Style;
  readonly #frameMs: number;
  readonly #now: () => number;
  readonly #runs = new Map<string, RunView>();

  constructor(options: ProgressOptions) {
    this.#out = options.out;
    this.#live = options.live;
    this.#style = options.style ?? createStyle(false);
    this.#frameMs = options.frameMs ?? 80;
    this.#now = options.now ?? (() => performance.now());
  }

  beforeGraphExecution(event: GraphExecutionEvent): void {
    const entries = event.executionPath.map(
      (name): Entry => ({
        key: name,
        label: name,
        state: "pending",
        startedAt: 0,
        durationMs: 0,
        error: "",
        hit: false,
      }),
    );
    const view: RunView = { startedAt: this.#now(), entries, timer: undefined, drawnLines: 0, frame: 0 };
    this.#runs.set(event.runId, view);
    if (this.#live) {
      this.#draw(view);
      view.timer = setInterval(() => this.#draw(view), this.#frameMs);
      view.timer.unref();
    }
  }

  beforeNodeExecution(event: NodeExecutionEvent): void {
    const view = this.#runs.get(event.runId);
    if (!view) return;
    const entry = this.#entryFor(view, event);
    entry.state = "running";
    entry.startedAt = this.#now();
    if (!this.#live) this.#line(view, entry.startedAt, `${this.#style.cyan("▶")} ${entry.label}`);
  }

  afterNodeExecution(event: NodeExecutionResultEvent): void {
    const view = this.#runs.get(event.runId);
    if (!view) return;
    const entry = this.#entryFor(view, event);
    entry.state = event.success ? "done" : "failed";
    entry.durationMs = event.durationMs;
    entry.error = event.success ? "" : errorMessage(event.error);
    entry.hit = event.cache === "hit";
    if (!this.#live) {
      const s = this.#style;
      const mark = event.success ? s.green("✓") : s.red("✗");
      const tail = event.success ? (entry.hit ? `  ${s.dim(CACHE_HIT)}` : "") : `  ${s.red(entry.error)}`;
      this.#line(view, this.#now(), `${mark} ${pad(entry.label)} ${s.dim(formatDuration(entry.durationMs))}${tail}`);
    }
  }

  afterGraphExecution(event: GraphExecutionResultEvent): void {
    const view = this.#runs.get(event.runId);
    if (!view) return;
    this.#runs.delete(event.runId);
    if (view.timer) clearInterval(view.timer);
    if (this.#live) this.#draw(view);
  }

  /** The entry of a node run: a fan-out task takes its node's pending placeholder, or follows its siblings. */
  #entryFor(view: RunView, event: NodeExecutionEvent): Entry {
    const key = nodeLabel(event);
    const found = view.entries.find((e) => e.key === key);
    if (found) return found;
    const entry: Entry = { key, label: key, state: "pending", startedAt: 0, durationMs: 0, error: "", hit: false };
    const placeholder = view.entries.findIndex((e) => e.key === event.node.name && e.state === "pending");
    if (placeholder >= 0) {
      view.entries.splice(placeholder, 1, entry);
    } else {
      // After the fan-out's other tasks, or after the node that fans out (`item` for `item[3]`).
      const fanOut = event.taskId?.replace(/\[\d+\]$/, "") ?? "";
      let last = -1;
      view.entries.forEach((e, i) => {
        if (e.key === fanOut || /\s(\S+)\[\d+\]$/.exec(e.key)?.[1] === fanOut) last = i;
      });
      view.entries.splice(last >= 0 ? last + 1 : view.entries.length, 0, entry);
    }
    return entry;
  }

  #line(view: RunView, at: number, text: string): void {
    const time = `+${((at - view.startedAt) / 1000).toFixed(3)}s`;
    this.#out.write(`  ${this.#style.dim(time)}  ${text}\n`);
  }

  #draw(view: RunView): void {
    const s = this.#style;
    const now = this.#now();
    view.frame++;
    const width = Math.max(20, (this.#out.columns ?? 100) - 1);
    const lines = view.entries.map((e) => {
      let text: string;
      switch (e.state) {
        case "pending":
          text = `${s.dim("·")} ${s.dim(e.label)}`;
          break;
        case "running":
          text = `${s.cyan(SPINNER[view.frame % SPINNER.length]!)} ${pad(e.label)} ${s.dim(formatDuration(now - e.startedAt))}`;
          break;
        case "done":
          text = `${s.green("✓")} ${pad(e.label)} ${s.dim(formatDuration(e.durationMs))}${e.hit ? `  ${s.dim(CACHE_HIT)}` : ""}`;
          break;
        case "failed":
          text = `${s.red("✗")} ${pad(e.label)} ${s.dim(formatDuration(e.durationMs))}  ${s.red(e.error)}`;
          break;
      }
      return `  ${truncate(text, width - 2)}`;
    });
    const elapsed = `  ${s.dim(`${formatDuration(now - view.startedAt)} elapsed`)}`;
    lines.push(elapsed);
    // Move up over the previous frame, then rewrite every line (clearing leftovers).
    const up = view.drawnLines > 0 ? `\u001b[${view.drawnLines}A` : "";
    this.#out.write(`${up}${lines.map((l) => `\u001b[2K${l}\n`).join("")}`);
    view.drawnLines = lines.length;
  }
}

function pad(label: string): string {
  return label.length >= LABEL_WIDTH ? label : label + " ".repeat(LABEL_WIDTH - label.length);
}

/** Cuts text (which may hold ANSI styles) to `width` visible characters, so lines never wrap. */
function truncate(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  let visible = 0;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\u001b") {
      const end = text.indexOf("m", i);
      out += text.slice(i, end + 1);
      i = end;
      continue;
    }
    if (visible === width - 1) {
      out += "…";
      visible++;
      continue;
    }
    if (visible < width - 1) {
      out += text[i];
      visible++;
    }
  }
  return out;
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
}
