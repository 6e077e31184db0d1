import type { NodeExecutionEvent } from "@hamilton-ts/lifecycle";
import { SHARED_SPAN_ID, SHARED_TRACE_ID } from "@hamilton-ts/lifecycle";
import { describe, expect, it } from "vitest";
import { runRecord as runFixture } from "@hamilton-ts/testing/records";
import { endedRunRecord, nodeRunRecord, runRecord } from "./record-builders.js";

const event = {
  runId: "r1",
  node: { name: "n" },
  taskId: "t1",
  attempt: 2,
  attributes: { [SHARED_TRACE_ID]: "trace", [SHARED_SPAN_ID]: 42 },
} as unknown as NodeExecutionEvent;

describe("record builders", () => {
  it("builds the RUNNING and the final node record with the same keys in the same order", () => {
    const running = nodeRunRecord(
      event,
      "RUNNING",
      1,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    );
    const done = nodeRunRecord(event, "SUCCESS", 1, 3, 2, { kind: "disabled" }, undefined, ["w"], 1, undefined);
    expect(Object.keys(running)).toEqual(Object.keys(done));
    expect(done).toEqual({
      type: "node_run",
      runId: "r1",
      node: "n",
      taskId: "t1",
      attempt: 2,
      status: "SUCCESS",
      startTime: 1,
      endTime: 3,
      durationMs: 2,
      result: { kind: "disabled" },
      error: undefined,
      warnings: ["w"],
      warningsDropped: 1,
      // A span id that is not a string is not recorded.
      traceId: "trace",
      spanId: undefined,
    });
  });

  it("an ended run keeps its started record's fields, in the same key order", () => {
    const started = runRecord(runFixture("r"));
    const ended = endedRunRecord(started, false, 5, 4, {
      type: "Error",
      message: "m",
      stack: undefined,
      cause: undefined,
    });
    expect(Object.keys(ended)).toEqual(Object.keys(started));
    expect(ended).toEqual({
      ...started,
      status: "FAILURE",
      endTime: 5,
      durationMs: 4,
      error: { type: "Error", message: "m", stack: undefined, cause: undefined },
    });
  });
});
