// A worker process for file-sink-processes.test.ts: loads FileSink from the package's TypeScript
// source through Vite (vitest's own transformer), prints "ready", waits for a line on stdin, then
// appends its node records (some of 1–3 MB) to the coordinator's run file, all at once, and prints
// "done". argv: <store dir> <project> <run id> <worker name> <records>
const [dir, project, runId, worker, count] = process.argv.slice(2);
const { createViteServer } = await import("vitest/node");
const server = await createViteServer({
  configFile: false,
  root: process.cwd(),
  logLevel: "silent",
  server: { middlewareMode: true, watch: null, hmr: false, ws: false },
  resolve: { conditions: ["@hamilton-ts/source"] },
  ssr: { resolve: { conditions: ["@hamilton-ts/source"] } },
  optimizeDeps: { noDiscovery: true, include: [] },
});
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
process.stdout.write("ready\n");
await new Promise((resolve) => process.stdin.once("data", resolve));
await Promise.all(Array.from({ length: Number(count) }, (_, i) => sink.write(project, [record(i)])));
await server.close();
process.stdout.write("done\n");
