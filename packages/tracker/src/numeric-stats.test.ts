import { describe, expect, it } from "vitest";
import { HISTOGRAM_BINS, numericStats, QUANTILES } from "./numeric-stats.js";

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

  it("gives the quantiles a full sort gives, on many sizes, duplicates and signs, without reordering the input", () => {
    // A small deterministic generator (no Math.random in tests).
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const size of [1, 2, 3, 5, 10, 11, 97, 1000, 4096]) {
      for (const spread of [3, 1000]) {
        const values = Array.from({ length: size }, () => Math.round((next() - 0.5) * spread) + 0); // + 0: no -0
        const copy = [...values];
        const sorted = [...values].sort((a, b) => a - b);
        const expected: Record<string, number> = {};
        for (const q of QUANTILES) {
          const pos = (sorted.length - 1) * q;
          const lo = Math.floor(pos);
          const hi = Math.ceil(pos);
          expected[String(q)] = sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
        }
        const s = numericStats(values, Infinity);
        expect(s.quantiles, `size ${size}, spread ${spread}`).toEqual(expected);
        expect([s.min, s.max]).toEqual([sorted[0], sorted[size - 1]]);
        expect(values).toEqual(copy);
      }
    }
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
      count: 0,
      missing: 2,
      zeros: 0,
      min: null,
      max: null,
      mean: null,
      std: null,
      quantiles: null,
      histogram: [],
    });
  });

  it("covers only the first `limit` values", () => {
    expect(numericStats([1, 2, 100], 2)).toMatchObject({ count: 2, max: 2 });
  });
});
