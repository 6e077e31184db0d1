import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Builder } from "@hamilton-ts/core";
import type { HamiltonTracker } from "@hamilton-ts/tracker";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startHamiltonUI } from "../test/hamilton-ui.js";
import { RunInfo } from "./run-info.js";
import { startTracking, TrackingSetupError } from "./tracking.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "demo-tracking-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const modules = { a: () => 1, b: ({ a }: { a: number }) => a + 1 };

/** Runs the small dataflow once with the tracker; returns the run's id. */
async function runOnce(tracker: HamiltonTracker): Promise<string> {
  const info = new RunInfo();
  await new Builder().withModules(modules).withAdapters(info, tracker).build().execute(["b"]);
  return info.last!.runId;
}

describe("startTracking, local store", () => {
  it("records runs with a FileSink in the folder and says which file holds a run", async () => {
    const tracking = await startTracking({ kind: "file", dir, projectId: "demo", username: "ada" }, { dagName: "t" });
    expect(tracking.description).toBe(`local store (FileSink) in ${dir}`);
    const runId = await runOnce(tracking.tracker);
    const report = await tracking.shutdown();
    expect(report.complete).toBe(true);
    const file = tracking.where(runId);
    expect(file).toBe(join(dir, "demo", "runs", `${runId}.jsonl`));
    await access(file);
  });
});

describe("startTracking, Hamilton UI", () => {
  it("checks the user and the project first, then links each run to its page in the UI", async () => {
    const ui = await startHamiltonUI(5);
    try {
      const tracking = await startTracking(
        {
          kind: "hamilton-ui",
          apiUrl: ui.url,
          apiKey: "k",
          username: "ada@example.com",
          projectId: 5,
          uiUrl: "http://ui.example",
        },
        { dagName: "t" },
      );
      expect(ui.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        "GET /api/v1/phone_home",
        "GET /api/v1/projects/5",
      ]);
      expect(tracking.description).toBe(`Hamilton UI at ${ui.url} (project 5, user ada@example.com)`);
      const runId = await runOnce(tracking.tracker);
      expect(tracking.where(runId)).toBe(`run ${runId} (not created in the Hamilton UI: see the warnings above)`);
      expect((await tracking.flush()).complete).toBe(true);
      expect(tracking.where(runId)).toBe(`run ${runId} → http://ui.example/dashboard/project/5/runs/${ui.dagRunId}`);
      await tracking.shutdown();
    } finally {
      await ui.close();
    }
  });

  it("fails with a TrackingSetupError saying what is wrong when the project does not exist", async () => {
    const ui = await startHamiltonUI(5);
    try {
      const error = await startTracking(
        {
          kind: "hamilton-ui",
          apiUrl: ui.url,
          apiKey: undefined,
          username: "ada@example.com",
          projectId: 6,
          uiUrl: ui.url,
        },
        { dagName: "t" },
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TrackingSetupError);
      expect((error as Error).message).toContain(
        "the Hamilton UI has no such project (HTTP 404). Create the project in the UI first",
      );
    } finally {
      await ui.close();
    }
  });

  it("fails with a TrackingSetupError when nothing listens at HAMILTON_API_URL", async () => {
    const ui = await startHamiltonUI(5);
    await ui.close(); // the port is free again: nothing listens there
    const error = await startTracking(
      {
        kind: "hamilton-ui",
        apiUrl: ui.url,
        apiKey: undefined,
        username: "ada@example.com",
        projectId: 5,
        uiUrl: ui.url,
      },
      { dagName: "t" },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrackingSetupError);
    expect((error as Error).message).toContain(
      `could not reach the Hamilton UI (ECONNREFUSED). Is it running at ${ui.url}?`,
    );
  });
});
