import { appendFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../test/temp.js";
import { TraceIndex } from "./trace-index.js";

const TRACE_A = "a".repeat(32);
const TRACE_B = "B".repeat(32);

/** One OTLP JSON request line with spans `[traceId, spanId, name]`. */
function line(...spans: [string, string, string][]): string {
  return `${JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "svc" } }] },
        scopeSpans: [{ spans: spans.map(([traceId, spanId, name]) => ({ traceId, spanId, name })) }],
      },
    ],
  })}\n`;
}

describe("TraceIndex", () => {
  it("indexes what was appended since it last looked and reads a trace's spans from its lines", async () => {
    const path = join(await tempDir(), "traces.jsonl");
    const index = new TraceIndex(path);
    expect(await index.refresh()).toBe(false);
    await writeFile(path, line([TRACE_A, "1".repeat(16), "a1"], [TRACE_B, "2".repeat(16), "b1"]));
    expect(await index.refresh()).toBe(true);
    // A line being written (no newline yet) waits; a foreign line and a span without ids are counted.
    await appendFile(
      path,
      `not json\n${line([TRACE_A, "3".repeat(16), "a2"], ["x", 1 as never, "bad"])}{"resourceSpans":`,
    );
    expect(await index.refresh()).toBe(true);
    expect(index.status()).toEqual({ traces: 2, skippedLines: 2, skippedSpans: 1 });
    // The same span again (a retried export) shows once.
    await appendFile(path, `\n${line([TRACE_A, "1".repeat(16), "a1 again"])}`);
    await index.refresh();
    expect(index.status()).toEqual({ traces: 2, skippedLines: 2, skippedSpans: 1 });
    expect((await index.trace(TRACE_A)).map((s) => s.name)).toEqual(["a1", "a2"]);
    expect((await index.trace(TRACE_B.toLowerCase())).map((s) => [s.name, s.resource["service.name"]])).toEqual([
      ["b1", "svc"],
    ]);
    expect(await index.trace("c".repeat(32))).toEqual([]);
  });

  it("reads a replaced or cut file again from its start, and forgets a deleted one", async () => {
    const path = join(await tempDir(), "traces.jsonl");
    const index = new TraceIndex(path);
    await writeFile(path, line([TRACE_A, "1".repeat(16), "a1"]) + line([TRACE_A, "2".repeat(16), "a2"]));
    await index.refresh();
    await writeFile(path, line([TRACE_B, "3".repeat(16), "b1"]));
    expect(await index.refresh()).toBe(true);
    expect(await index.trace(TRACE_A)).toEqual([]);
    expect((await index.trace(TRACE_B.toLowerCase())).map((s) => s.name)).toEqual(["b1"]);
    await rm(path);
    expect(await index.refresh()).toBe(true);
    expect(index.status()).toEqual({ traces: 0, skippedLines: 0, skippedSpans: 0 });
  });

  it("builds in slices, letting the event loop turn between them", async () => {
    const path = join(await tempDir(), "traces.jsonl");
    const lines: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const spanId = i.toString(16).padStart(16, "0");
      lines.push(line([i % 2 === 0 ? TRACE_A : TRACE_B, spanId, `s${i}`.padEnd(1000, ".")]));
    }
    await writeFile(path, lines.join(""));
    const index = new TraceIndex(path);
    let turns = 0;
    let done = false;
    const tick = () => {
      if (!done) {
        turns++;
        setImmediate(tick);
      }
    };
    setImmediate(tick);
    await index.refresh();
    done = true;
    // About 4 MB in slices of 1 MiB: the loop turned between them.
    expect(turns).toBeGreaterThanOrEqual(3);
    expect(await index.trace(TRACE_A)).toHaveLength(2000);
  });
});
