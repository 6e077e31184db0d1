import { describe, expect, it } from "vitest";
import { bringIntoView, fitView, MAX_SCALE, MIN_SCALE, panBy, scaleOf, viewBoxOf, zoomAt } from "./zoom.js";

const VP = { width: 800, height: 400 };

describe("the graph's view", () => {
  it("fits a large drawing by shrinking it, and draws a small one at its size, centred", () => {
    const big = fitView({ x: 0, y: 0, width: 4000, height: 1000 }, VP);
    expect(scaleOf(big, VP)).toBeCloseTo((800 - 24) / 4000, 6);
    expect(big.x + big.width / 2).toBeCloseTo(2000, 6);
    const small = fitView({ x: 0, y: 0, width: 200, height: 100 }, VP);
    expect(scaleOf(small, VP)).toBe(1);
    expect(small).toEqual({ x: -300, y: -150, width: 800, height: 400 });
  });

  it("zooms about a point that stays put, within the scale bounds", () => {
    const view = { x: 0, y: 0, width: 800, height: 400 };
    const closer = zoomAt(view, VP, 2, 0.25, 0.5);
    expect(scaleOf(closer, VP)).toBe(2);
    // The point at a quarter of the width (x = 200) is still at a quarter.
    expect(closer.x + 0.25 * closer.width).toBeCloseTo(200, 6);
    expect(closer.y + 0.5 * closer.height).toBeCloseTo(200, 6);
    expect(scaleOf(zoomAt(view, VP, 1e9), VP)).toBe(MAX_SCALE);
    expect(scaleOf(zoomAt(view, VP, 1e-9), VP)).toBeCloseTo(MIN_SCALE, 9);
  });

  it("pans with the pointer at the current scale", () => {
    const view = { x: 100, y: 100, width: 400, height: 200 }; // scale 2
    expect(panBy(view, VP, 50, -20)).toEqual({ x: 75, y: 110, width: 400, height: 200 });
  });

  it("brings a box outside the view into it, and leaves a visible one alone", () => {
    const view = { x: 0, y: 0, width: 800, height: 400 };
    expect(bringIntoView(view, { x: 10, y: 10, width: 100, height: 38 })).toBe(view);
    expect(bringIntoView(view, { x: 2000, y: 900, width: 100, height: 40 })).toEqual({
      x: 1650,
      y: 720,
      width: 800,
      height: 400,
    });
    expect(viewBoxOf({ x: 1, y: 2.25, width: 3, height: 4 })).toBe("1.0 2.3 3.0 4.0");
  });
});
