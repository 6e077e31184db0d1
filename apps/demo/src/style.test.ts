import { describe, expect, it } from "vitest";
import { createStyle, formatDuration, visibleLength, wantsColor } from "./style.js";

describe("wantsColor", () => {
  it("colours terminals only", () => {
    expect(wantsColor({ isTTY: true }, {})).toBe(true);
    expect(wantsColor({ isTTY: false }, {})).toBe(false);
    expect(wantsColor({}, {})).toBe(false);
  });

  it("honours NO_COLOR, TERM=dumb and FORCE_COLOR", () => {
    expect(wantsColor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(wantsColor({ isTTY: true }, { TERM: "dumb" })).toBe(false);
    expect(wantsColor({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
    expect(wantsColor({ isTTY: true }, { FORCE_COLOR: "0", NO_COLOR: "1" })).toBe(false);
  });
});

describe("createStyle", () => {
  it("wraps text in ANSI codes only when enabled", () => {
    expect(createStyle(true).red("x")).toBe("\u001b[31mx\u001b[39m");
    expect(createStyle(false).red("x")).toBe("x");
    expect(visibleLength(createStyle(true).bold("abc"))).toBe(3);
  });
});

describe("formatDuration", () => {
  it("picks a unit people read at a glance", () => {
    expect(formatDuration(0.42)).toBe("0.4 ms");
    expect(formatDuration(87.4)).toBe("87 ms");
    expect(formatDuration(1240)).toBe("1.24 s");
  });
});
