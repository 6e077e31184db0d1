import { describe, expect, it } from "vitest";
import { cut, formatDuration, formatNumber, formatTime, shortVersion, statusClass, statusWord } from "./format.js";

describe("formatDuration", () => {
  it("picks the unit by size: sub-ms, ms, s (two decimals under 10 s), min, h", () => {
    expect(formatDuration(0.256)).toBe("0.26 ms");
    expect(formatDuration(0)).toBe("0.00 ms");
    expect(formatDuration(1)).toBe("1 ms");
    expect(formatDuration(849.6)).toBe("850 ms");
    expect(formatDuration(999)).toBe("999 ms");
    expect(formatDuration(1000)).toBe("1.00 s");
    expect(formatDuration(2_400)).toBe("2.40 s");
    expect(formatDuration(12_345)).toBe("12.3 s");
    expect(formatDuration(59_999)).toBe("60.0 s");
    expect(formatDuration(60_000)).toBe("1 min 0 s");
    expect(formatDuration(192_000)).toBe("3 min 12 s");
    expect(formatDuration(3_840_000)).toBe("1 h 4 min");
    expect(formatDuration(26 * 3_600_000)).toBe("26 h 0 min");
  });

  it("shows a dash for nothing or a non-finite value", () => {
    for (const ms of [undefined, Number.NaN, Number.POSITIVE_INFINITY]) expect(formatDuration(ms)).toBe("–");
  });
});

describe("formatTime", () => {
  it("shows local date and time, zero-padded", () => {
    const ms = new Date(2026, 2, 4, 5, 6, 7, 890).getTime();
    expect(formatTime(ms)).toBe("2026-03-04 05:06:07");
    expect(formatTime(new Date(2026, 11, 31, 23, 59, 59).getTime())).toBe("2026-12-31 23:59:59");
  });

  it("shows a dash for nothing or a non-finite time", () => {
    expect(formatTime(undefined)).toBe("–");
    expect(formatTime(Number.NaN)).toBe("–");
  });
});

describe("formatNumber", () => {
  it("writes integers whole with separators", () => {
    expect(formatNumber(0)).toBe("0");
    expect(formatNumber(1234567)).toBe("1,234,567");
    expect(formatNumber(-10000)).toBe("-10,000");
  });

  it("writes other numbers with up to 4 significant digits, tiny and huge ones in exponent form", () => {
    expect(formatNumber(3.14269)).toBe("3.143");
    expect(formatNumber(0.5)).toBe("0.5");
    expect(formatNumber(-2.71927)).toBe("-2.719");
    expect(formatNumber(1234.5678)).toBe("1235");
    expect(formatNumber(0.00123456)).toBe("0.001235");
    expect(formatNumber(0.000123456)).toBe("1.235e-4");
    expect(formatNumber(1.5e9)).toBe("1,500,000,000");
    expect(formatNumber(1.5e12 + 0.5)).toBe("1.500e+12");
  });

  it("shows a dash for null and undefined, and non-finite numbers by name", () => {
    expect(formatNumber(null)).toBe("–");
    expect(formatNumber(undefined)).toBe("–");
    expect(formatNumber(Number.NaN)).toBe("NaN");
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe("Infinity");
  });
});

describe("statuses", () => {
  it("says each status as a word, a status of a later version included, and nothing as not run", () => {
    expect(statusWord("SUCCESS")).toBe("success");
    expect(statusWord("FAILURE")).toBe("failure");
    expect(statusWord("RUNNING")).toBe("running");
    expect(statusWord("WAITING_FOR_WORKER")).toBe("waiting for worker");
    expect(statusWord(undefined)).toBe("not run");
  });

  it("colours the three known statuses and anything else as pending", () => {
    expect(statusClass("SUCCESS")).toBe("s-success");
    expect(statusClass("FAILURE")).toBe("s-failure");
    expect(statusClass("RUNNING")).toBe("s-running");
    expect(statusClass("WAITING")).toBe("s-pending");
    expect(statusClass(undefined)).toBe("s-pending");
  });
});

describe("cut and shortVersion", () => {
  it("cuts a text at max characters with an ellipsis, and leaves a short one alone", () => {
    expect(cut("abcdef", 3)).toBe("abc…");
    expect(cut("abc", 3)).toBe("abc");
    expect(cut("", 0)).toBe("");
  });

  it("cuts a hex hash and shows any other version whole", () => {
    expect(shortVersion("0123456789abcdef0123", 8)).toBe("01234567");
    expect(shortVersion("0123456789ABCDEF", 12)).toBe("0123456789AB");
    // Under 16 hex digits is not a hash hamilton-ts made.
    expect(shortVersion("0123456789abcde", 8)).toBe("0123456789abcde");
    expect(shortVersion("hamilton-ui-7", 8)).toBe("hamilton-ui-7");
    expect(shortVersion("deadbeefdeadbeef-2", 8)).toBe("deadbeefdeadbeef-2");
  });
});
