// A coordinator process for the tests (loaded like test/worker.ts): runs test/dataflow.ts's fan-out
// over ITEMS (JSON) with a BullMQExecutor whose run keys live RUN_TTL_MS; prints "ready <graph
// version>" before the run starts. The tests kill it mid-run.
import { Builder } from "@hamilton-ts/core";
import { BullMQExecutor } from "../src/index.js";
import * as dataflow from "./dataflow.js";

const env = process.env;
const executor = new BullMQExecutor({
  connection: { host: "127.0.0.1", port: Number(env.REDIS_PORT) },
  queueName: env.QUEUE ?? "test",
  runTtlMs: Number(env.RUN_TTL_MS ?? 30_000),
});
const dr = new Builder()
  .withModules(dataflow)
  .withConfig({ greeting: "hi", factor: 2 })
  .withTaskExecutor(executor)
  .build();
process.stdout.write(`ready ${dr.graph.version}\n`);
await dr.execute(["processedAll"], { inputs: { items: JSON.parse(env.ITEMS ?? "[]") } });
await executor.close();
