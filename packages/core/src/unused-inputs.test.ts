import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Builder } from "./builder.js";

describe("inputs no node uses", () => {
  let warnings: string[];
  beforeEach(() => {
    warnings = [];
    vi.spyOn(console, "warn").mockImplementation((message: unknown) => void warnings.push(String(message)));
  });
  afterEach(() => vi.restoreAllMocks());

  const dataflow = {
    summary: ({ docSource, model = "m" }: { docSource: string; model?: string }) => `${model}:${docSource}`,
  };

  it("warns once per name and driver when the name is close to an input a node uses", async () => {
    const dr = new Builder().withModules(dataflow).build();
    const inputs = { docSource: "a", doc_source: "b" } as never;
    expect(await dr.execute(["summary"], { inputs })).toEqual({ summary: "m:a" });
    expect(warnings).toEqual([
      'execute(..., { inputs }): input "doc_source" is used by no node, so it is ignored; did you mean "docSource"? ' +
        "(Inputs no node uses are allowed; this is said once per name.)",
    ]);
    await dr.execute(["summary"], { inputs });
    expect(warnings).toHaveLength(1);
    await dr.execute(["summary"], { inputs: { docSource: "a", modle: "x" } as never });
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toContain('input "modle" is used by no node, so it is ignored; did you mean "model"?');
    // Another driver warns on its own.
    await new Builder().withModules(dataflow).build().execute(["summary"], { inputs });
    expect(warnings).toHaveLength(3);
  });

  it("stays quiet for extra inputs close to no input, and still allows them", async () => {
    const dr = new Builder().withModules(dataflow).build();
    const out = await dr.execute(["summary"], { inputs: { docSource: "a", requestId: 7, x: 1 } as never });
    expect(out).toEqual({ summary: "m:a" });
    expect(warnings).toEqual([]);
  });
});
