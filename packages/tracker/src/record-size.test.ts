import { describe, expect, it } from "vitest";
import { nodeRecord, runRecord, templateRecord } from "@hamilton-ts/testing/records";
import { estimateBytes } from "./record-size.js";

describe("estimateBytes", () => {
  it("is within a small factor of the JSON length of records", () => {
    const big = { kind: "string", length: 50_000, preview: "x".repeat(50_000), truncated: false } as const;
    for (const record of [
      runRecord("r"),
      nodeRecord("r", "a"),
      templateRecord(),
      nodeRecord("r", "a", "SUCCESS", { result: big }),
    ]) {
      const json = JSON.stringify(record).length;
      const estimate = estimateBytes(record);
      expect(estimate).toBeGreaterThan(json / 2);
      expect(estimate).toBeLessThan(json * 2);
    }
  });

  it("stops walking at a depth bound (a cycle cannot hang it)", () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    expect(estimateBytes(cycle)).toBeGreaterThan(0);
  });
});
