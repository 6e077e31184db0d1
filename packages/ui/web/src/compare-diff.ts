/**
 * Source diffs drawn as text: a `pre` of the line diff (`diff.ts`), each line a span marked as
 * kept, removed or added; and a `details` per node whose code differs between compared runs.
 * Sources come from running code's files: they go in as text nodes only.
 */
import { type CodeChange, runLetter } from "../../src/compare-runs.js";
import { diffCounts, diffLines } from "./diff.js";
import { h } from "./dom.js";
import { shortVersion } from "./format.js";

/** A `pre.source-diff` of the line diff from `before` to `after`. */
export function diffBlock(before: string, after: string): HTMLElement {
  const lines = diffLines(before, after);
  const pre = h("pre", { class: "source-diff" });
  for (const l of lines) {
    const cls = l.op === "+" ? "diff-add" : l.op === "-" ? "diff-del" : "diff-same";
    pre.append(h("span", { class: `diff-line ${cls}` }, `${l.op} ${l.text}`), "\n");
  }
  const { added, removed } = diffCounts(lines);
  pre.title = `${removed} line${removed === 1 ? "" : "s"} removed, ${added} added`;
  return pre;
}

/**
 * The pairs of runs a code change is shown between: the first run's version against each other
 * version, in the order they first appear (`[[0, 2]]` for versions `v1, v1, v2`).
 */
export function diffPairs(versions: readonly (string | undefined)[]): [number, number][] {
  const first = new Map<string, number>();
  versions.forEach((v, i) => {
    if (v !== undefined && !first.has(v)) first.set(v, i);
  });
  const order = [...first.values()];
  return order.slice(1).map((i) => [order[0]!, i]);
}

/** A closed `details` for one node's code change, opened by the node row's "code changed". */
export function diffDetails(change: CodeChange): HTMLElement {
  const pairs = diffPairs(change.versions);
  return h(
    "details",
    { class: "code-change", data: { node: change.node } },
    h(
      "summary",
      null,
      h("b", null, change.node),
      `: ${change.versions.map((v, i) => `${runLetter(i)} ${v === undefined ? "–" : shortVersion(v, 8)}`).join(", ")}`,
    ),
    ...pairs.map(([a, b]) =>
      h(
        "div",
        { class: "code-pair", data: { from: runLetter(a), to: runLetter(b) } },
        h("div", { class: "muted" }, `${runLetter(a)} → ${runLetter(b)}`),
        diffBlock(change.sources[a] ?? "", change.sources[b] ?? ""),
      ),
    ),
  );
}
