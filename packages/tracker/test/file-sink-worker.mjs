// A worker process for file-sink-processes.test.ts: loads FileSink from the package's TypeScript
// source through Vite (vitest's own transformer), says ready and waits for the go (over IPC:
// startReadyProcess), then appends its node records (some of 1–3 MB) to the coordinator's run
// file, all at once, and prints "done". argv: <store dir> <project> <run id> <worker name> <records>
import { readyThenGo, sourceServer } from "@hamilton-ts/testing/source-child";
const [dir, project, runId, worker, count] = process.argv.slice(2);
const server = await sourceServer();
const { FileSink } = await server.ssrLoadModule("/src/file-sink.ts");
const sink = new FileSink({ dir, fsync: false });
const record = (i) => ({
  type: "node_run",
  runId,
  node: `${worker}-${i}`,
  taskId: undefined,
  attempt: 1,
  status: "SUCCESS",
  startTime: 1_700_000_000_100,
  endTime: 1_700_000_000_200,
  durationMs: 100,
  // The first records are large: a torn append of one of them is what readers lost before.
  result: { kind: "primitive", type: "string", value: `${worker}:${i};`.repeat(i < 4 ? ((i % 3) + 1) * 100_000 : 10) },
  error: undefined,
  warnings: undefined,
  traceId: undefined,
  spanId: undefined,
});
await readyThenGo();
await Promise.all(Array.from({ length: Number(count) }, (_, i) => sink.write(project, [record(i)])));
await server.close();
process.stdout.write("done\n");
