import { afterEach, describe, expect, it } from "vitest";
import { registerExitFlush, unregisterExitFlush } from "./exit-hooks.js";

describe("exit hooks", () => {
  const a = {
    flushed: 0,
    exitFlush() {
      this.flushed++;
    },
  };
  const b = {
    flushed: 0,
    exitFlush() {
      this.flushed++;
    },
  };
  afterEach(() => {
    unregisterExitFlush(a);
    unregisterExitFlush(b);
  });

  it("installs one beforeExit listener for all registered targets, and removes it with the last", () => {
    const before = process.listenerCount("beforeExit");
    registerExitFlush(a);
    registerExitFlush(a);
    registerExitFlush(b);
    expect(process.listenerCount("beforeExit")).toBe(before + 1);
    process.emit("beforeExit", 0);
    expect([a.flushed, b.flushed]).toEqual([1, 1]);
    unregisterExitFlush(a);
    expect(process.listenerCount("beforeExit")).toBe(before + 1);
    process.emit("beforeExit", 0);
    expect([a.flushed, b.flushed]).toEqual([1, 2]);
    unregisterExitFlush(b);
    unregisterExitFlush(b);
    expect(process.listenerCount("beforeExit")).toBe(before);
  });
});
