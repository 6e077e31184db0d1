import { afterEach, describe, expect, it, vi } from "vitest";
import { WarnOnce } from "./warn-once.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("WarnOnce", () => {
  it("writes one warning per key and builds the message only when writing", () => {
    const lines: string[] = [];
    const once = new WarnOnce((line) => lines.push(line));
    let built = 0;
    const message = (text: string) => () => {
      built++;
      return text;
    };
    expect(once.warn("a", message("first a"))).toBe(true);
    expect(once.warn("a", message("second a"))).toBe(false);
    expect(once.warn("b", message("first b"))).toBe(true);
    expect(lines).toEqual(["first a", "first b"]);
    expect(built).toBe(2);
    expect(once.has("a")).toBe(true);
    expect(once.has("c")).toBe(false);
  });

  it("compares object keys by identity", () => {
    const lines: string[] = [];
    const once = new WarnOnce((line) => lines.push(line));
    const k1 = {};
    const k2 = {};
    once.warn(k1, () => "1");
    once.warn(k1, () => "1 again");
    once.warn(k2, () => "2");
    expect(lines).toEqual(["1", "2"]);
  });

  it("keeps each instance's keys its own", () => {
    const lines: string[] = [];
    const a = new WarnOnce((line) => lines.push(`a:${line}`));
    const b = new WarnOnce((line) => lines.push(`b:${line}`));
    a.warn("k", () => "x");
    b.warn("k", () => "x");
    expect(lines).toEqual(["a:x", "b:x"]);
  });

  it("writes to console.warn by default, looked up when warning", () => {
    const once = new WarnOnce();
    const spy = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    once.warn("k", () => "to the console");
    once.warn("k", () => "not again");
    expect(spy.mock.calls).toEqual([["to the console"]]);
  });
});
