/** A run of many nodes, written with `FileSink` as the tracker writes it. */
import { FileSink } from "@hamilton-ts/tracker";
import type { DagTemplateRecord, NodeRunRecord, TrackerRecord } from "@hamilton-ts/store";
import { nodeRecord, runRecord, templateRecord } from "./records.js";

/**
 * Writes a finished run of `n` nodes (`n0` … `n<n-1>`, each depending on up to two earlier ones)
 * with one node run each, under project `big`, with run id `runId`.
 */
export async function writeBigRun(dir: string, runId: string, n: number): Promise<void> {
  const base = templateRecord("big-v1", "big_dag");
  const start = 1_700_000_000_000;
  const template: DagTemplateRecord = {
    ...base,
    nodes: Array.from({ length: n }, (_, i) => ({
      ...base.nodes[0]!,
      name: `n${i}`,
      functionName: `n${i}`,
      dependencies: i === 0 ? [] : i < 10 ? [`n${i - 1}`] : [`n${i - 1}`, `n${Math.floor(i / 2)}`],
      source: `const n${i} = (x) => x + ${i};`,
    })),
  };
  const nodes: NodeRunRecord[] = Array.from({ length: n }, (_, i) =>
    nodeRecord(runId, `n${i}`, i % 997 === 5 ? "FAILURE" : "SUCCESS", {
      startTime: start + i,
      endTime: start + i + 3,
      durationMs: 3,
      result: i % 997 === 5 ? undefined : { kind: "primitive", type: "number", value: i },
      error:
        i % 997 === 5 ? { type: "Error", message: `node ${i} failed`, stack: undefined, cause: undefined } : undefined,
    }),
  );
  const records: TrackerRecord[] = [
    template,
    runRecord(runId, "RUNNING", { dagName: "big_dag", graphVersion: "big-v1", startTime: start }),
    ...nodes,
    runRecord(runId, "FAILURE", {
      dagName: "big_dag",
      graphVersion: "big-v1",
      startTime: start,
      endTime: start + n + 10,
      durationMs: n + 10,
    }),
  ];
  await new FileSink({ dir, fsync: false }).write("big", records);
}
