import { Builder, HamiltonError } from "@hamilton-ts/core";
import { describe, expect, it } from "vitest";
import { describeFailure, displayPath, indent, openRunRows, rows } from "./report.js";
import { createStyle } from "./style.js";

describe("describeFailure", () => {
  it("names the failed node and gives its own error's message", async () => {
    const dr = new Builder()
      .withModules({
        a: (): number => {
          throw new Error("500 The server had an error");
        },
      })
      .build();
    const error = await dr.execute(["a"]).catch((e: unknown) => e);
    expect(describeFailure(error)).toBe('node "a" failed: 500 The server had an error');
  });

  it("names the fan-out task of a failed per-item node", async () => {
    const { collect, parallelize } = await import("@hamilton-ts/core");
    const dr = new Builder()
      .withModules({
        item: parallelize(() => [1, 2]),
        checked: ({ item }: { item: number }): number => {
          if (item === 2) throw new Error("two is bad");
          return item;
        },
        all: collect(({ checked }: { checked: number[] }) => checked),
      })
      .build();
    const error = await dr.execute(["all"]).catch((e: unknown) => e);
    expect(describeFailure(error)).toBe('node "checked" (task item[1]) failed: two is bad');
  });

  it("says when the run was interrupted", async () => {
    const dr = new Builder().withModules({ a: () => 1 }).build();
    const error = await dr.execute(["a"], { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(describeFailure(error)).toBe("the run was interrupted before it finished.");
  });

  it("gives other errors' messages as they are", () => {
    expect(describeFailure(new HamiltonError("MISSING_INPUTS", "Missing inputs: x"))).toBe("Missing inputs: x");
    expect(describeFailure(new TypeError("bad"))).toBe("bad");
    expect(describeFailure("a string")).toBe("a string");
  });
});

describe("layout helpers", () => {
  it("displayPath shows paths inside the working directory relative to it", () => {
    expect(displayPath("/a/b/.hamilton-ts/traces.jsonl", "/a/b")).toBe(".hamilton-ts/traces.jsonl");
    expect(displayPath("/tmp/x.jsonl", "/a/b")).toBe("/tmp/x.jsonl");
  });

  it("rows aligns labels", () => {
    expect(
      rows(
        [
          ["LLM", "local"],
          ["tracker", "file"],
        ],
        createStyle(false),
      ),
    ).toEqual(["  LLM      local", "  tracker  file"]);
  });

  it("indent indents every non-empty line", () => {
    expect(indent("a\n\nb")).toEqual(["    a", "", "    b"]);
  });
});

describe("openRunRows", () => {
  it("gives the command that serves the demo's store and the run's page on it", () => {
    expect(openRunRows({ kind: "file", runId: "r 1", dir: "/d/.hamilton-ts", uiDir: "/d/.hamilton-ts" })).toEqual([
      ["open it", "pnpm --filter demo ui"],
      ["then", "http://127.0.0.1:8241/runs/r%201"],
    ]);
  });

  it("names the store with --dir when the run went elsewhere (DEMO_OUTPUT_DIR), quoted for the shell", () => {
    expect(openRunRows({ kind: "file", runId: "r", dir: "/tmp/my store", uiDir: "/d/.hamilton-ts" })[0]).toEqual([
      "open it",
      "pnpm --filter demo ui --dir '/tmp/my store'",
    ]);
    expect(openRunRows({ kind: "file", runId: "r", dir: "/tmp/out", uiDir: "/d/.hamilton-ts" })[0]![1]).toBe(
      "pnpm --filter demo ui --dir /tmp/out",
    );
  });

  it("gives the Hamilton UI's run page when records went there, nothing when the run was not created", () => {
    expect(openRunRows({ kind: "hamilton-ui", runUrl: "http://ui/dashboard/project/1/runs/7" })).toEqual([
      ["open it", "http://ui/dashboard/project/1/runs/7"],
    ]);
    expect(openRunRows({ kind: "hamilton-ui", runUrl: undefined })).toEqual([]);
  });
});
