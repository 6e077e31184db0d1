/** Renders the results as markdown tables, the way they are printed and pasted in READMEs. */
import type { Results } from "./results.js";
import { BUILD_US, IO_MS, mark, perRow } from "./targets.js";

export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly boolean[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (right[i] ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

const n = (x: number | undefined, digits = 2) => (x === undefined ? "" : x.toFixed(digits));
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const size = (x: number) => x.toLocaleString("en-US");

/** Every section, as one string. */
export function renderResults(results: Results): string {
  const out: string[] = [];
  const m = results.machine;
  out.push(`## hamilton-ts bench — ${m.node}, ${m.cpus} × ${m.cpu}, ${m.platform}, ${m.date}`);
  out.push("");

  if (results.build.length > 0) {
    out.push("### Graph build (Builder.withModules(...).build(), fresh functions each time)");
    out.push("");
    out.push(
      table(
        ["shape", "nodes", "build ms (median)", "µs/node", "peak heap MB", `target ≤ ${BUILD_US} µs/node`],
        results.build.map((b) => [
          b.shape,
          size(b.nodes),
          ms(b.stats.medianMs),
          n(b.usPerNode),
          n(b.stats.peakHeapMB, 1),
          mark(b.usPerNode <= BUILD_US),
        ]),
        [false, true, true, true, true, false],
      ),
    );
    out.push("");
  }

  if (results.execute.length > 0) {
    out.push("### Execute (median run; per node = run time / function nodes)");
    out.push("");
    out.push(
      table(
        [
          "shape",
          "nodes",
          "variant",
          "run ms",
          "µs/node",
          "over plain µs/node",
          "× plain",
          "adapter µs/node",
          "× engine",
          "tracker flush ms",
          "peak heap MB",
          "target",
        ],
        results.execute.map((r) =>
          r.stats === undefined
            ? [r.shape, size(r.nodes), r.label, `skipped: ${r.skipped ?? ""}`, "", "", "", "", "", "", "", ""]
            : [
                r.shape,
                size(r.nodes),
                r.label,
                ms(r.stats.medianMs),
                n(r.usPerNode, 3),
                n(r.overUsPerNode, 3),
                n(r.vsPlain, 1),
                n(r.adapterUsPerNode, 2),
                n(r.vsEngine, 2),
                r.variant === "tracker" || r.variant === "both" ? ms(r.stats.afterMs) : "",
                n(r.stats.peakHeapMB, 1),
                perRow(results, r),
              ],
        ),
        [false, true, false, true, true, true, true, true, true, true, true, false],
      ),
    );
    out.push("");
  }

  if (results.io.length > 0) {
    out.push("### I/O-bound fan-out (every node awaits a 20 ms timer; total time of one run)");
    out.push("");
    out.push(
      table(
        ["variant", "nodes", "run ms (median)", "least possible ms", "over least ms", "target"],
        results.io.map((r) => [
          r.label,
          size(r.nodes),
          ms(r.stats.medianMs),
          String(r.idealMs),
          ms(r.stats.medianMs - r.idealMs),
          r.id === "io/engine" ? `≤ ${IO_MS} ms ${mark(r.stats.medianMs <= IO_MS)}` : "",
        ]),
        [false, true, true, true, true, false],
      ),
    );
    out.push("");
  }

  if (results.fanout.length > 0) {
    out.push("### Dynamic fan-out (parallelize → 3-node block per item → collect)");
    out.push("");
    out.push(
      table(
        [
          "case",
          "variant",
          "items",
          "run ms (median)",
          "µs/item",
          "over plain µs/item",
          "per block node µs",
          "least possible ms",
          "peak heap MB",
        ],
        results.fanout.map((r) => [
          r.id.startsWith("fanout-io")
            ? "I/O: a awaits 20 ms"
            : r.id.startsWith("fanout-limit")
              ? "limit 100: a async"
              : "CPU",
          r.label,
          size(r.items),
          ms(r.stats.medianMs),
          n((r.stats.medianMs * 1000) / r.items, 3),
          n(r.overUsPerItem, 3),
          r.overUsPerItem === undefined ? "" : n(r.overUsPerItem / 3, 3),
          r.idealMs === undefined ? "" : String(r.idealMs),
          n(r.stats.peakHeapMB, 1),
        ]),
        [false, false, true, true, true, true, true, true, true],
      ),
    );
    out.push("");
  }

  const d = results.downSink;
  if (d !== undefined) {
    out.push("### Tracker under a sink that is down (every write rejects)");
    out.push("");
    out.push(
      table(
        [
          "runs × nodes",
          "heap before MB",
          `heap after ${d.runs >> 2} runs MB`,
          `heap after ${d.runs} runs MB`,
          "total ms",
          "note",
        ],
        [
          [
            `${d.runs} × ${size(d.nodesPerRun)}`,
            n(d.heapBeforeMB, 1),
            n(d.heapQuarterMB, 1),
            n(d.heapAfterMB, 1),
            ms(d.totalMs),
            d.note,
          ],
        ],
        [false, true, true, true, true, false],
      ),
    );
    out.push("");
  }

  const c = results.cache ?? [];
  if (c.length > 0) {
    out.push("### Cache (Builder.withCache): a run that hits everywhere vs the same run uncached");
    out.push("");
    out.push(
      table(
        ["shape", "nodes", "uncached ms", "cached ms", "cached µs/node", "over µs/node", "cached / uncached", "hits"],
        c.map((f) => [
          f.shape,
          size(f.nodes),
          ms(f.uncachedMs),
          ms(f.cachedMs),
          n(f.cachedUsPerNode),
          n(f.overUsPerNode),
          n(f.ratio, 1),
          size(f.hits),
        ]),
        [false, true, true, true, true, true, true, true],
      ),
    );
    out.push("");
  }

  const f = results.fingerprint ?? [];
  if (f.length > 0) {
    out.push("### fingerprint(value) vs SHA-256 over the same bytes");
    out.push("");
    out.push(
      table(
        ["value", "bytes", "fingerprint ms", "sha256 ms", "ratio"],
        f.map((x) => [x.label, size(x.bytes), ms(x.ms), ms(x.hashMs), n(x.ratio, 1)]),
        [false, true, true, true, true],
      ),
    );
    out.push("");
  }

  if (results.targets.length > 0) {
    out.push("### Targets");
    out.push("");
    out.push(
      table(
        ["target", "figure", "limit", ""],
        results.targets.map((t) => [t.name, t.figure, t.limit, mark(t.ok)]),
        [false, true, false, false],
      ),
    );
    out.push("");
  }
  for (const note of results.notes) out.push(`- ${note}`);
  return out.join("\n");
}
