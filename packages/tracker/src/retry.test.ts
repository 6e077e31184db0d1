import { describe, expect, it } from "vitest";
import { Backoff } from "./retry.js";

describe("Backoff", () => {
  it("doubles each step up to the maximum, each delay in the upper half of its step", () => {
    const low = new Backoff(100, 1000, () => 0);
    expect(Array.from({ length: 6 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    const high = new Backoff(100, 1000, () => 0.999);
    const delays = Array.from({ length: 6 }, () => high.next());
    const steps = [100, 200, 400, 800, 1000, 1000];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThan(steps[i]! * 0.99);
      expect(d).toBeLessThan(steps[i]!);
    });
  });

  it("draws the jitter from the random source it is given", () => {
    const draws = [0.5, 0.25];
    const backoff = new Backoff(80, 1000, () => draws.shift()!);
    expect(backoff.next()).toBe(40 + 20);
    expect(backoff.next()).toBe(80 + 20);
  });

  it("reset() starts again from the first step", () => {
    const backoff = new Backoff(10, 1000, () => 0);
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(5);
  });
});
