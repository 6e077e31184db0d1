/**
 * Per-node cost of OpenTelemetryTracer against the cost of starting, activating and ending one
 * span directly, with the same SDK and processor (a BatchSpanProcessor whose exporter discards).
 * Prints the figures and the ratio; asserts nothing about speed (timings vary by machine).
 *
 * Run: `npx vitest run --config bench/vitest.config.ts` in packages/opentelemetry.
 */
import { context, trace } from "@opentelemetry/api";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { Builder, node } from "@hamilton-ts/core";
import type { LifecycleAdapter, NodeInfo } from "@hamilton-ts/lifecycle";
import { expect, it } from "vitest";
import { nodeAttributes } from "../src/span-attributes.js";
import { OpenTelemetryTracer } from "../src/tracer.js";

let exported = 0;
const discard: SpanExporter = {
  export(spans: ReadableSpan[], done) {
    exported += spans.length;
    done({ code: 0 });
  },
  shutdown: async () => {},
};
const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(discard, { maxQueueSize: 100_000 })] });
provider.register();
const tracer = provider.getTracer("bench");

const N = 200; // nodes per run (a chain)
const RUNS = 400;
const ROUNDS = 5;
const yieldToTimers = () => new Promise((r) => setImmediate(r));

function chain(): Record<string, (...args: never[]) => unknown> {
  const modules: Record<string, (...args: never[]) => unknown> = { n0: () => 0 };
  for (let i = 1; i < N; i++) {
    const prev = `n${i - 1}`;
    modules[`n${i}`] = node([prev], (deps: Record<string, number>) => deps[prev]! + 1);
  }
  return modules;
}

async function perNodeOfExecute(adapters: LifecycleAdapter[]): Promise<number> {
  const dr = new Builder().withModules(chain()).withAdapters(...adapters).build();
  const last = [`n${N - 1}`];
  for (let i = 0; i < 50; i++) await dr.execute(last); // warm up
  await yieldToTimers();
  let total = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    await dr.execute(last);
    total += performance.now() - t0;
    await yieldToTimers(); // let the batch processor export between runs
  }
  return (total * 1000) / (RUNS * N); // µs per node
}

/** µs per call of `once`, in bursts of N (a run's worth) with the timers let through between. */
async function perCall(once: () => unknown): Promise<number> {
  const call = async () => {
    const out = once();
    if (out instanceof Promise) await out; // a sync baseline pays no await
  };
  for (let i = 0; i < 50 * N; i++) await call();
  await yieldToTimers();
  let total = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      const out = once();
      if (out instanceof Promise) await out;
    }
    total += performance.now() - t0;
    await yieldToTimers();
  }
  return (total * 1000) / (RUNS * N);
}

const parent = context.active();
const syncWork = () => 1;
const asyncWork = async () => 1;
const sameAttributes = nodeAttributes(
  { name: "n1", version: "e899a2594bd5311c", dependencies: ["n0"], tags: {}, functionName: "n1" } as unknown as NodeInfo,
  "hamilton",
);

/** The strict baseline: a bare span around synchronous work. */
function rawSpan(): void {
  const span = tracer.startSpan("raw", undefined, parent);
  context.with(trace.setSpan(parent, span), syncWork);
  span.end();
}

/** What any async wrapper must do: the same attributes, ended after the awaited work. */
async function rawAsyncSpan(): Promise<unknown> {
  const span = tracer.startSpan("raw", undefined, parent);
  span.setAttributes(sameAttributes);
  try {
    return await context.with(trace.setSpan(parent, span), asyncWork);
  } finally {
    span.end();
  }
}

it("measures the tracer's per-node cost against one raw span", async () => {
  const noopWrapper: LifecycleAdapter = { wrapNodeExecution: (_e, next) => next(), wrapGraphExecution: (_e, next) => next() };
  const rows: number[][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const raw = await perCall(rawSpan);
    const rawAsync = await perCall(rawAsyncSpan);
    const plain = await perNodeOfExecute([]);
    const noop = await perNodeOfExecute([noopWrapper]);
    const traced = await perNodeOfExecute([new OpenTelemetryTracer({ tracer })]);
    rows.push([raw, rawAsync, plain, noop, traced]);
  }
  const median = (i: number) => rows.map((r) => r[i]!).sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
  const [raw, rawAsync, plain, noop, traced] = [0, 1, 2, 3, 4].map(median) as [number, number, number, number, number];
  const fmt = (v: number) => `${v.toFixed(2)} µs`;
  const cost = traced - plain;
  console.log(
    [
      `chain of ${N} sync nodes, ${RUNS} runs x ${ROUNDS} rounds (medians), BatchSpanProcessor + discarding exporter`,
      `raw span: start + context.with + end, sync work, no attributes: ${fmt(raw)}`,
      `raw span: same ${Object.keys(sameAttributes).length} attributes, ended after awaited work:  ${fmt(rawAsync)}`,
      `engine, no adapter:                    ${fmt(plain)} per node`,
      `engine, no-op wrapping adapter:        ${fmt(noop)} per node (the engine's price of any node wrapper)`,
      `engine, OpenTelemetryTracer:           ${fmt(traced)} per node`,
      `tracer cost per node:                  ${fmt(cost)} (${fmt(traced - noop)} beyond a no-op wrapper)`,
      `ratio to the bare raw span:            ${(cost / raw).toFixed(2)}x (${((traced - noop) / raw).toFixed(2)}x beyond a no-op wrapper)`,
      `ratio to the async raw span:           ${(cost / rawAsync).toFixed(2)}x (${((traced - noop) / rawAsync).toFixed(2)}x beyond a no-op wrapper)`,
    ].join("\n"),
  );
  await provider.forceFlush();
  expect(exported).toBeGreaterThan(0);
  await provider.shutdown();
});
