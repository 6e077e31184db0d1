import { Builder, HamiltonError } from "@hamilton-ts/core";
import { describe, expect, it } from "vitest";
import { describeFailure, displayPath, indent, rows } from "./report.js";
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
