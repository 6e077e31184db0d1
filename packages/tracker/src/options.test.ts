import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { MemorySink } from "../test/memory-sink.js";
import { FileSink } from "./file-sink.js";
import { resolveOptions, type HamiltonTrackerOptions } from "./options.js";
import { HamiltonTracker } from "./tracker.js";

describe("resolveOptions", () => {
  it("fills in every default", () => {
    expect(resolveOptions({ projectId: 1, username: "u", dagName: "d" })).toEqual({
      projectId: 1,
      username: "u",
      dagName: "d",
      tags: {},
      captureDataStatistics: true,
      summaryLimits: expect.objectContaining({ maxStringPreview: 200, maxItems: 10, timeBudgetMs: 5 }),
      queueCapacity: 20_000,
      queueByteBudget: 64 * 1024 * 1024,
      batchSize: 100,
      flushIntervalMs: 1_000,
      retryInitialDelayMs: 200,
      retryMaxDelayMs: 10_000,
      sinkTimeoutMs: 30_000,
    });
  });

  it("keeps retryMaxDelayMs at least retryInitialDelayMs", () => {
    expect(
      resolveOptions({ projectId: 1, username: "u", dagName: "d", retryInitialDelayMs: 500, retryMaxDelayMs: 100 })
        .retryMaxDelayMs,
    ).toBe(500);
  });
});

describe("HamiltonTracker options", () => {
  const base: HamiltonTrackerOptions = { projectId: 1, username: "u", dagName: "d", sink: new MemorySink() };

  it("defaults to a FileSink in .hamilton-ts of the working directory", () => {
    const t = new HamiltonTracker({ projectId: 1, username: "u", dagName: "d" });
    expect(t.sink).toBeInstanceOf(FileSink);
    expect((t.sink as FileSink).dir).toBe(resolve(".hamilton-ts"));
    expect(t.options).toMatchObject({ queueCapacity: 20_000, batchSize: 100, captureDataStatistics: true, tags: {} });
  });

  it.each<[string, Partial<HamiltonTrackerOptions> | null, RegExp]>([
    [
      "projectId",
      { projectId: "" },
      /option "projectId" is ""; expected a Hamilton UI project id \(an integer\) or a non-empty string/,
    ],
    ["projectId", { projectId: 1.5 }, /option "projectId" is 1\.5/],
    ["username", { username: undefined as never }, /option "username" is undefined; expected a non-empty string/],
    ["dagName", { dagName: "" }, /option "dagName" is ""; expected a non-empty string naming the dataflow/],
    [
      "tags",
      { tags: { env: 1 as never } },
      /option "tags\.env" is 1; expected a string \(tag values are strings, as in Hamilton\)/,
    ],
    ["tags", { tags: [] as never }, /option "tags" is an object; expected an object of string values/],
    [
      "sink",
      { sink: {} as never },
      /option "sink" is an object; expected an object with a write\(projectId, records\) method/,
    ],
    [
      "captureDataStatistics",
      { captureDataStatistics: "no" as never },
      /option "captureDataStatistics" is "no"; expected true or false/,
    ],
    ["queueCapacity", { queueCapacity: 0 }, /option "queueCapacity" is 0; expected a positive integer/],
    ["batchSize", { batchSize: 2.5 }, /option "batchSize" is 2\.5; expected a positive integer/],
    [
      "summaryLimits",
      { summaryLimits: { maxItems: -1 } },
      /option "summaryLimits\.maxItems" is -1; expected a number ≥ 0/,
    ],
    [
      "sinkTimeoutMs",
      { sinkTimeoutMs: 2 ** 31 },
      /option "sinkTimeoutMs" is 2147483648; expected at most 2147483647 ms \(about 24\.8 days\), the longest delay a Node timer supports: a longer one fires after 1 ms/,
    ],
    [
      "flushIntervalMs",
      { flushIntervalMs: 1e12 },
      /option "flushIntervalMs" is 1000000000000; expected at most 2147483647 ms/,
    ],
    [
      "retryInitialDelayMs",
      { retryInitialDelayMs: 2 ** 31 },
      /option "retryInitialDelayMs" is 2147483648; expected at most 2147483647 ms/,
    ],
    [
      "retryMaxDelayMs",
      { retryMaxDelayMs: 2 ** 40 },
      /option "retryMaxDelayMs" is 1099511627776; expected at most 2147483647 ms/,
    ],
    ["queueByteBudget", { queueByteBudget: 0 }, /option "queueByteBudget" is 0; expected a positive integer/],
    ["queueCapacity", { queueCapacity: Infinity }, /option "queueCapacity" is Infinity; expected a positive integer/],
    [
      "options",
      null,
      /option "options" is null; expected an object: new HamiltonTracker\(\{ projectId, username, dagName \}\)/,
    ],
  ])("rejects a bad %s with INVALID_OPTION saying what to pass", (_name, over, message) => {
    const options = over === null ? (null as never) : { ...base, ...over };
    let error: unknown;
    try {
      new HamiltonTracker(options);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "INVALID_OPTION", name: "TrackerError" });
    expect((error as Error).message).toMatch(message);
  });
});

describe("flush() and shutdown() timeouts", () => {
  it("accepts the longest timer, and rejects a timeoutMs no timer can wait, with INVALID_OPTION, leaving the tracker running", async () => {
    const sink = new MemorySink();
    const t = new HamiltonTracker({ projectId: 1, username: "u", dagName: "d", sink, sinkTimeoutMs: 2 ** 31 - 1 });
    for (const bad of [2 ** 31, -1, Number.NaN, "10" as never]) {
      await expect(t.flush({ timeoutMs: bad })).rejects.toMatchObject({
        code: "INVALID_OPTION",
        message: expect.stringMatching(
          /HamiltonTracker\.flush\(\): option "timeoutMs" is .*; expected a number of milliseconds from 0 to 2147483647/,
        ),
      });
      await expect(t.shutdown({ timeoutMs: bad })).rejects.toMatchObject({
        code: "INVALID_OPTION",
        message: expect.stringMatching(/HamiltonTracker\.shutdown\(\): option "timeoutMs"/),
      });
    }
    await expect(t.flush({ timeoutMs: 0 })).resolves.toMatchObject({ complete: true });
    await expect(t.shutdown({ timeoutMs: 1000 })).resolves.toMatchObject({ complete: true });
    expect(sink.closed).toBe(1);
  });
});
