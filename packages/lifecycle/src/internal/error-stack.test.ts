import { describe, expect, it } from "vitest";
import { errorStack, setErrorStack } from "./error-stack.js";

describe("errorStack", () => {
  it("reads a stack however this Node keeps it (a data property on 20, V8's accessor on 22 and 24)", () => {
    const error = new TypeError("boom");
    const stack = errorStack(error);
    expect(stack).toMatch(/^TypeError: boom\n\s+at /);
    expect(stack).toContain("error-stack.test.ts");
    const target = {};
    Error.captureStackTrace(target);
    expect(errorStack(target)).toContain("error-stack.test.ts");
  });

  it("never runs a getter of the error's own: a stack getter, or a name/message getter the formatting would read", () => {
    let ran = 0;
    const withGetter = new Error("x");
    Object.defineProperty(withGetter, "stack", {
      get() {
        ran++;
        return "fake";
      },
    });
    expect(errorStack(withGetter)).toBeUndefined();
    const namedByGetter = new Error("y");
    Object.defineProperty(namedByGetter, "name", {
      get() {
        ran++;
        return "Evil";
      },
    });
    expect(errorStack(namedByGetter)).toBeUndefined();
    expect(ran).toBe(0);
  });

  it("reads a stack someone assigned as plain data, and nothing for a non-string", () => {
    const error = new Error("z");
    error.stack = "custom stack";
    expect(errorStack(error)).toBe("custom stack");
    expect(errorStack(Object.assign(new Error("n"), { stack: 5 }))).toBeUndefined();
    expect(errorStack({})).toBeUndefined();
  });
});

describe("setErrorStack", () => {
  it("replaces the stack with data, whichever way it was kept, and refuses a foreign getter", () => {
    const error = new Error("secret sk-live-123");
    expect(setErrorStack(error, "Error: [hidden]")).toBe(true);
    expect(Object.getOwnPropertyDescriptor(error, "stack")).toMatchObject({
      value: "Error: [hidden]",
      enumerable: false,
    });
    expect(errorStack(error)).toBe("Error: [hidden]");
    const foreign = new Error("f");
    Object.defineProperty(foreign, "stack", { get: () => "keep", configurable: true });
    expect(setErrorStack(foreign, "x")).toBe(false);
    expect(Object.getOwnPropertyDescriptor(foreign, "stack")?.get).toBeDefined();
  });
});
