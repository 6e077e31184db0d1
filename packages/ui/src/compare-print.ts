/**
 * Terminal output of `hamilton-ts-ui compare <runId> <runId> […]`: the runs (lettered A, B, …),
 * the "what changed" summary, the parameters and the node runs side by side, with what differs
 * marked — the same answers as the compare page, from the same {@link compareRuns}. Control
 * characters in values are escaped.
 */
import {
  cellText,
  durationText,
  llmText,
  paramLabel,
  type RowDifferences,
  type RunComparison,
  runLetter,
  summaryLines,
} from "./compare-runs.js";
import { clean, table } from "./print.js";

function time(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

/** What differs in a row, as words (`status,result,code`), or `""`. */
export function differsText(d: RowDifferences): string {
  return (Object.keys(d) as (keyof RowDifferences)[]).filter((k) => d[k]).join(",");
}

/** A comparison as text. */
export function formatComparison(c: RunComparison): string {
  const out: string[] = [`Comparing ${c.runs.length} runs`];
  out.push(
    table(
      c.runs.map((r, i) => [
        `  ${runLetter(i)}`,
        clean(r.runId),
        `project ${clean(r.projectId)}`,
        clean(r.dagName),
        r.status,
        time(r.startTime),
        durationText(r.durationMs),
        `version ${clean(r.graphVersion)}`,
      ]),
    ),
  );
  out.push("", "What changed:", ...summaryLines(c).map((l) => `  ${clean(l)}`));
  out.push("", "Parameters (* differs):");
  out.push(
    table([
      ["  ", "PARAMETER", ...c.runs.map((_, i) => runLetter(i))],
      ...c.params.map((p) => [
        p.differs ? "  *" : "  ",
        clean(paramLabel(p)),
        ...p.values.map((v) => clean(cellText(v ?? "–", 40))),
      ]),
    ]),
  );
  out.push("", "Node runs (* differs; DIFFERS says in what):");
  const rows = [["  ", "NODE", "RUN", "STATUS", "DURATION", "CACHE", "LLM", "RESULT", "DIFFERS"]];
  for (const row of c.nodes) {
    const differs = differsText(row.differs);
    row.cells.forEach((cell, i) => {
      rows.push([
        i === 0 && differs !== "" ? "  *" : "  ",
        i === 0 ? clean(row.key) : "",
        runLetter(i),
        cell?.status ?? "not run",
        cell === undefined ? "" : durationText(cell.durationMs),
        cell?.cache ?? "",
        llmText(cell?.llm),
        cell === undefined ? "" : clean(cellText(cell.result, 60)),
        i === 0 ? differs : "",
      ]);
    });
  }
  out.push(c.nodes.length === 0 ? "  (none)" : table(rows));
  for (const change of c.codeChanges) {
    out.push(
      "",
      `Code of ${clean(change.node)}: ${change.versions.map((v, i) => `${runLetter(i)} ${clean(v ?? "–")}`).join(", ")} (the page shows the source diff)`,
    );
  }
  return `${out.join("\n")}\n`;
}
