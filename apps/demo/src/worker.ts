/**
 * A worker process of the demo's distributed mode (started by `distributed.ts`): runs the
 * dataflow's fan-out tasks from the coordinator's queue, with the tracer and the tracker as
 * adapters, so its spans and node runs join the coordinator's trace and run. Its configuration is
 * the demo's environment (same trace destination, same tracker store) plus DEMO_REDIS_PORT.
 */
import { readConfig } from "./config.js";
import { startTelemetry } from "./telemetry.js";

const config = readConfig(process.env, process.cwd());
// As in main.ts: Traceloop registers the global provider before anything asks for a tracer.
const telemetry = startTelemetry(config.traces);
const { startWorker } = await import("@hamilton-ts/bullmq");
const { OpenTelemetryTracer } = await import("@hamilton-ts/opentelemetry");
const dataflow = await import("./dataflow.js");
const { DAG_NAME } = await import("./run.js");
const { startTracking } = await import("./tracking.js");
const { DEMO_QUEUE } = await import("./distributed.js");

const tracking = await startTracking(config.tracker, { dagName: DAG_NAME, tags: { app: "demo" } });
const worker = await startWorker({
  connection: { host: "127.0.0.1", port: Number(process.env.DEMO_REDIS_PORT) },
  queueName: DEMO_QUEUE,
  modules: [dataflow],
  adapters: [
    new OpenTelemetryTracer({
      workflowName: DAG_NAME,
      recordInputs: config.recordContent,
      recordOutputs: config.recordContent,
    }),
    tracking.tracker,
  ],
  concurrency: 50,
});
process.stdout.write(`worker ready ${worker.id}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await worker.close();
    await Promise.allSettled([telemetry.flush(), tracking.shutdown()]);
    process.exit(0);
  })();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
