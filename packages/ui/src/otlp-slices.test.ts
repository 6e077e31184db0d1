import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { serve } from "../test/temp.js";
import { decodeTraces } from "./otlp.js";
import { ExportTraceServiceRequest } from "./otlp-schema.js";
import { SLICE_BYTES } from "./otlp-slices.js";
import { readTraceFile, tracesFile } from "./traces.js";

/** An export of `count` spans in 10 traces, each span with ten 40-character attributes (about 600 bytes). */
function bigExport(count: number, valid: (i: number) => boolean = () => true) {
  const spans = Array.from({ length: count }, (_, i) => ({
    traceId: Buffer.from(`${(i % 10).toString(16).padStart(2, "0")}`.padStart(32, "a"), "hex"),
    // A span id of the wrong length is rejected: most spans of an export can be made cheap to store.
    spanId: Buffer.from(i.toString(16).padStart(valid(i) ? 16 : 14, "0"), "hex"),
    name: `span-${i}`,
    kind: 1,
    startTimeUnixNano: 1_700_000_000_000_000_000 + i,
    endTimeUnixNano: 1_700_000_000_000_001_000 + i,
    attributes: Array.from({ length: 10 }, (_, k) => ({ key: `attr.${k}`, value: { stringValue: "v".repeat(40) } })),
  }));
  const request = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "big" } }] },
        scopeSpans: [{ scope: { name: "s" }, spans }],
      },
    ],
  };
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(request)).finish());
}

/** Counts the turns of the event loop that run while `work` is pending. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let done = false;
  const tick = () => {
    if (done) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const result = await work();
  done = true;
  return { result, turns };
}

describe("decodeTraces in slices", () => {
  it("yields to the event loop between slices and writes a large export as bounded lines, every span kept", async () => {
    const body = bigExport(20_000);
    const { result, turns } = await turnsDuring(() => decodeTraces(body, "protobuf"));
    expect(result.spans).toBe(20_000);
    const slices = Math.floor(body.length / SLICE_BYTES);
    expect(slices).toBeGreaterThan(10);
    // A synchronous decode would let no turn run before it returned.
    expect(turns).toBeGreaterThanOrEqual(slices);
    expect(result.lines.length).toBeGreaterThanOrEqual(slices);

    // The same export as OTLP JSON (one line of it), decoded in slices too.
    const json = Buffer.from(`{"resourceSpans":${JSON.stringify(JSON.parse(result.lines[0]!).resourceSpans)}}`);
    const fromJson = await turnsDuring(() =>
      decodeTraces(
        Buffer.from(JSON.stringify({ resourceSpans: result.lines.flatMap((l) => JSON.parse(l).resourceSpans) })),
        "json",
      ),
    );
    expect(json.length).toBeGreaterThan(0);
    expect(fromJson.result.spans).toBe(20_000);
    expect(fromJson.turns).toBeGreaterThanOrEqual(slices);
  });

  it("keeps the resource and scope with every slice, so each line reads back alone", async () => {
    const ui = await serve();
    const body = bigExport(5_000);
    const res = await fetch(`${ui.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body,
    });
    expect(res.status).toBe(200);
    const { spans, skippedLines, skippedSpans } = await readTraceFile(tracesFile(ui.dir));
    expect({ spans: spans.length, skippedLines, skippedSpans }).toEqual({
      spans: 5_000,
      skippedLines: 0,
      skippedSpans: 0,
    });
    expect(new Set(spans.map((s) => s.resource["service.name"]))).toEqual(new Set(["big"]));
  });
});

describe("POST /v1/traces does not hold up other requests", () => {
  it("answers GET /api/store, one read after the other, while a 15 MB export is decoded", async () => {
    const ui = await serve();
    // Mostly rejected spans: decoding is the work, and the line appended at the end is small.
    const body = bigExport(26_000, (i) => i % 1000 === 0);
    expect(body.length).toBeGreaterThan(14 * 1024 * 1024);
    let exported = false;
    let uploaded!: () => void;
    const upload = new Promise<void>((resolve) => (uploaded = resolve));
    const post = new Promise<number>((resolve, reject) => {
      const req = request(
        `${ui.url}/v1/traces`,
        { method: "POST", headers: { "content-type": "application/x-protobuf", "content-length": body.length } },
        (res) => {
          res.resume();
          res.on("end", () => {
            exported = true;
            resolve(res.statusCode ?? 0);
          });
        },
      );
      req.on("error", reject);
      // "finish": the whole body is handed to the socket; the server decodes once it has read it.
      req.on("finish", uploaded);
      req.end(body);
    });
    await upload;
    // Reads one after the other (up to 10) until the export is answered.
    let reads = 0;
    while (!exported && reads < 10) {
      const res = await fetch(`${ui.url}/api/store`);
      await res.arrayBuffer();
      if (!exported) reads++;
    }
    expect(await post).toBe(200);
    // A decode holding the event loop lets through only the reads sent just before or after it.
    expect(reads).toBe(10);
    const { spans } = await readTraceFile(tracesFile(ui.dir));
    expect(spans).toHaveLength(26);
  }, 120_000);
});
