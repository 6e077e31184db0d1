import { describe, expect, it } from "vitest";
import { HISTOGRAM_BINS, numericStats } from "./numeric-stats.js";

describe("numericStats", () => {
  it("matches pandas for 1..10 (sample std, linear quantiles, 10 bins)", () => {
    const s = numericStats([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 1000);
    expect(s.count).toBe(10);
    expect(s.missing).toBe(0);
    expect(s.zeros).toBe(0);
    expect(s.min).toBe(1);
    expect(s.max).toBe(10);
    expect(s.mean).toBe(5.5);
    expect(s.std).toBeCloseTo(3.0276503540974917, 12);
    expect(s.quantiles!["0.1"]).toBeCloseTo(1.9, 12);
    expect(s.quantiles!["0.25"]).toBeCloseTo(3.25, 12);
    expect(s.quantiles!["0.5"]).toBeCloseTo(5.5, 12);
    expect(s.quantiles!["0.75"]).toBeCloseTo(7.75, 12);
    expect(s.quantiles!["0.9"]).toBeCloseTo(9.1, 12);
    expect(s.histogram).toHaveLength(HISTOGRAM_BINS);
    expect(s.histogram.map((b) => b.count)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(s.histogram[0]!.lo).toBe(1);
    expect(s.histogram[9]!.hi).toBe(10);
  });

  it("puts each value in the (lo, hi] bin, the minimum in the first", () => {
    const s = numericStats([0, 0, 0, 10], 100);
    expect(s.zeros).toBe(3);
    expect(s.histogram.map((b) => b.count)).toEqual([3, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it("counts null, undefined, NaN, infinities and non-numbers as missing", () => {
    const s = numericStats([1, null, undefined, Number.NaN, Infinity, "2", 3], 100);
    expect(s).toMatchObject({ count: 2, missing: 5, min: 1, max: 3, mean: 2 });
  });

  it("widens a zero range, as pandas.cut does, and has no std for one value", () => {
    const s = numericStats([5], 100);
    expect(s.std).toBeNull();
    expect(s.histogram.reduce((n, b) => n + b.count, 0)).toBe(1);
    expect(s.histogram[0]!.lo).toBeLessThan(5);
    expect(s.histogram[9]!.hi).toBeGreaterThan(5);
  });

  it("has no statistics without numbers", () => {
    expect(numericStats([null, null], 100)).toEqual({
      count: 0, missing: 2, zeros: 0, min: null, max: null, mean: null, std: null, quantiles: null, histogram: [],
    });
  });

  it("covers only the first `limit` values", () => {
    expect(numericStats([1, 2, 100], 2)).toMatchObject({ count: 2, max: 2 });
  });
});
