// The server on its embedded index, across processes: what another process appends shows while
// the server runs, a restarted server catches up, a killed server loses nothing it acknowledged
// (and its lock is taken over), and an index it cannot use is rebuilt from the files.
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcess, startReadyProcess } from "@hamilton-ts/testing";
import { nodeRecord, runRecord, templateRecord } from "@hamilton-ts/testing/records";
import { FileSink } from "@hamilton-ts/tracker";
import { describe, expect, it } from "vitest";
import { api } from "../test/api.js";
import { serve, tempDir } from "../test/temp.js";
import { openEmbedded } from "./sql/database.js";
import { startUi } from "./server.js";
import { readLock } from "./store-lock.js";
import { indexFolder } from "./store-index-db.js";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const TRACE = "0af7651916cd43dd8448eb211c80319c";

/** An OTLP JSON export of one span. */
const exportOf = (spanId: string) => ({
  resourceSpans: [
    {
      resource: { attributes: [] },
      scopeSpans: [
        {
          spans: [
            { traceId: TRACE, spanId, name: spanId, kind: 1, startTimeUnixNano: "1000000", endTimeUnixNano: "2000000" },
          ],
        },
      ],
    },
  ],
});

/** Reads `/api/events` until a `store` event came after `check` last failed, then checks again. */
async function untilServed(url: string, check: () => Promise<boolean>): Promise<void> {
  const res = await fetch(`${url}/api/events`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (!text.includes("event: ready")) text += decoder.decode((await reader.read()).value, { stream: true });
    for (;;) {
      if (await check()) return;
      const seen = text.split("event: store").length;
      while (text.split("event: store").length === seen) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the event stream ended");
        text += decoder.decode(value, { stream: true });
      }
    }
  } finally {
    await reader.cancel();
  }
}

const runIds = async (url: string) => (await api(url, "/api/runs")).body.runs.map((r: { runId: string }) => r.runId);

describe("the server on its embedded index", () => {
  it("serves what another process appends while it runs, and what was appended while it was down", async () => {
    const dir = await tempDir();
    await new FileSink({ dir, fsync: false }).write("p", [templateRecord(), runRecord("r1", "RUNNING")]);
    const ui = await serve({ dir });
    expect(await runIds(ui.url)).toEqual(["r1"]);
    const child = await runProcess({
      command: process.execPath,
      args: [
        join("test", "file-sink-child.mjs"),
        dir,
        "p",
        JSON.stringify([nodeRecord("r1", "a", "SUCCESS"), runRecord("r1", "SUCCESS")]),
      ],
      cwd: packageDir,
    });
    expect(child.stdout, child.stderr).toContain("done");
    await untilServed(ui.url, async () => (await api(ui.url, "/api/runs/r1")).body.run?.status === "SUCCESS");
    await ui.close();
    await new FileSink({ dir, fsync: false }).write("p", [
      runRecord("r2", "FAILURE", { startTime: 1_800_000_000_000 }),
    ]);
    const again = await serve({ dir });
    expect(await runIds(again.url)).toEqual(["r2", "r1"]);
    expect((await api(again.url, "/api/store")).body).toMatchObject({ runs: 2, templates: 1, catchingUp: false });
  });

  it("deletes finished runs past retainDays at start, with their files, and keeps running and recent ones", async () => {
    const dir = await tempDir();
    const now = Date.now();
    const old = now - 40 * 86_400_000;
    await new FileSink({ dir, fsync: false }).write("p", [
      runRecord("old", "SUCCESS", { startTime: old, endTime: old + 1 }),
      runRecord("old-running", "RUNNING", { startTime: old }),
      runRecord("recent", "SUCCESS", { startTime: now - 86_400_000, endTime: now }),
    ]);
    const ui = await serve({ dir, retainDays: 30 });
    await untilServed(ui.url, async () => !(await runIds(ui.url)).includes("old"));
    expect(await runIds(ui.url)).toEqual(["recent", "old-running"]);
    expect(existsSync(join(dir, "p", "runs", "old.jsonl"))).toBe(false);
    await expect(startUi({ dir: await tempDir(), port: 0, retainDays: 0 })).rejects.toMatchObject({
      code: "INVALID_OPTION",
    });
  });

  it("after a SIGKILL during ingest, a new server takes the dead one's lock over and serves every acknowledged span", async () => {
    const dir = await tempDir();
    const server = await startReadyProcess({
      command: process.execPath,
      args: [join("test", "ui-child.mjs"), dir],
      cwd: packageDir,
      ready: /listening http:\/\/\S+\n/,
      name: "hamilton-ts-ui",
    });
    const url = /listening (http:\/\/\S+)\n/.exec(server.stdout())![1]!;
    expect((await readLock(dir))?.pid).toBe(server.pid);
    const acknowledged: string[] = [];
    let sent = 0;
    const post = async (): Promise<void> => {
      for (;;) {
        const spanId = (sent++).toString(16).padStart(16, "0");
        try {
          const res = await fetch(`${url}/v1/traces`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(exportOf(spanId)),
          });
          if (res.status !== 200) return;
          acknowledged.push(spanId);
          if (acknowledged.length === 20) void server.kill();
        } catch {
          return; // The server is gone.
        }
      }
    };
    await Promise.all([post(), post(), post(), post()]);
    await server.exited;
    expect(acknowledged.length).toBeGreaterThanOrEqual(20);
    const ui = await serve({ dir });
    expect((await readLock(dir))?.pid).toBe(process.pid);
    const { body } = await api(ui.url, `/api/traces/${TRACE}`);
    const stored = new Set(body.spans.map((s: { spanId: string }) => s.spanId));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  });

  it("rebuilds an index from a newer version from the store's files", async () => {
    const dir = await tempDir();
    await new FileSink({ dir, fsync: false }).write("p", [runRecord("r1", "SUCCESS")]);
    const first = await serve({ dir });
    expect(await runIds(first.url)).toEqual(["r1"]);
    await first.close();
    // A newer version's index: its schema is refused, so it is deleted and made again.
    const db = await openEmbedded(indexFolder(dir));
    await db.query("UPDATE hts_schema SET value = '999' WHERE key = 'version'");
    await db.query("DELETE FROM runs");
    await db.close();
    const second = await serve({ dir });
    expect(await runIds(second.url)).toEqual(["r1"]);
  });

  it("rebuilds an index that cannot be opened from the store's files", async () => {
    const dir = await tempDir();
    await new FileSink({ dir, fsync: false }).write("p", [runRecord("r1", "SUCCESS")]);
    await (await serve({ dir })).close();
    await writeFile(join(indexFolder(dir), "PG_VERSION"), "not a version\n");
    const again = await serve({ dir });
    expect(await runIds(again.url)).toEqual(["r1"]);
  });
});
