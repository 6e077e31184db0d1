// The @opentelemetry/api floor check of scripts/consumer-test.mjs: installed with the LOWEST
// @opentelemetry/api version that @hamilton-ts/opentelemetry's peer range allows, and no SDK
// (the global API is a no-op then). The tracer must load (every named import exists in that
// version), run a dataflow without changing its results, and leave no trace/span ids behind.
import { readFileSync } from "node:fs";
import { Builder } from "@hamilton-ts/core";
import { OpenTelemetryTracer, SHARED_SPAN_ID } from "@hamilton-ts/opentelemetry";
import { trace } from "@opentelemetry/api";

const seen = [];
const spy = { name: "spy", afterNodeExecution: (event) => void seen.push(event.attributes[SHARED_SPAN_ID]) };
const dr = new Builder()
  .withModules({ a: () => 1, b: async ({ a }) => a + 1 })
  .withAdapters(new OpenTelemetryTracer(), new OpenTelemetryTracer({ tracer: trace.getTracer("explicit") }), spy)
  .build();
const out = await dr.execute(["b"]);
if (out.b !== 2) throw new Error(`api floor: unexpected result ${JSON.stringify(out)}`);
if (seen.length !== 2 || seen.some((id) => id !== undefined))
  throw new Error(`api floor: span ids left without an SDK: ${JSON.stringify(seen)}`);
const { version } = JSON.parse(
  readFileSync(new URL("./node_modules/@opentelemetry/api/package.json", import.meta.url), "utf8"),
);
console.log(`api floor: ok with @opentelemetry/api ${version} (no SDK)`);
