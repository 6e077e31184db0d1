import { FileSink } from "@hamilton-ts/tracker";
import { describe, expect, it } from "vitest";
import { nodeRecord, runRecord } from "../test/records.js";
import { serve, tempDir } from "../test/temp.js";

/** Reads server-sent events from a response until `until` returns true for the text so far. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  seen: { text: string },
  until: (text: string) => boolean,
): Promise<void> {
  const decoder = new TextDecoder();
  while (!until(seen.text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the event stream ended; got ${JSON.stringify(seen.text)}`);
    seen.text += decoder.decode(value, { stream: true });
  }
}

describe("GET /api/events", () => {
  it("tells a listening page when another process writes to the store", async () => {
    const dir = await tempDir();
    const sink = new FileSink({ dir, fsync: false });
    await sink.write("p", [runRecord("r1", "RUNNING")]);
    const ui = await serve({ dir });
    const res = await fetch(`${ui.url}/api/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = res.body!.getReader();
    const seen = { text: "" };
    await readUntil(reader, seen, (t) => t.includes("event: ready"));
    expect(seen.text).not.toContain("event: store");
    // A FileSink of its own, as another process would write: appended to the run's file.
    await new FileSink({ dir, fsync: false }).write("p", [nodeRecord("r1", "a", "SUCCESS")]);
    await readUntil(reader, seen, (t) => t.includes("event: store"));
    // A new run (a new file) is seen too.
    const before = seen.text.split("event: store").length;
    await new FileSink({ dir, fsync: false }).write("p", [runRecord("r2", "RUNNING")]);
    await readUntil(reader, seen, (t) => t.split("event: store").length > before);
    await reader.cancel();
  });

  it("needs the API key like every route, and close() ends open streams", async () => {
    const ui = await serve({ apiKey: "k" });
    expect((await fetch(`${ui.url}/api/events`)).status).toBe(401);
    const res = await fetch(`${ui.url}/api/events`, { headers: { "x-api-key": "k" } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await readUntil(reader, { text: "" }, (t) => t.includes("event: ready"));
    await ui.close();
    // The stream ends: reads run out instead of hanging.
    for (;;) if ((await reader.read()).done) break;
  });
});
