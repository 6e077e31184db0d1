import { describe, expect, it } from "vitest";
import { typeName } from "./type-name.js";

describe("typeName", () => {
  it("names the class of an object", () => {
    class Foo {}
    expect(typeName(new Foo())).toBe("Foo");
    expect(typeName({})).toBe("Object");
    expect(typeName([])).toBe("Array");
    expect(typeName(new Map())).toBe("Map");
    expect(typeName(new TypeError("x"))).toBe("TypeError");
  });

  it("describes values that are not objects by typeof", () => {
    expect(typeName(null)).toBe("null");
    expect(typeName(undefined)).toBe("undefined");
    expect(typeName("s")).toBe("string");
    expect(typeName(1n)).toBe("bigint");
    expect(typeName(() => 1)).toBe("function");
  });

  it("returns the fallback when there is no usable name", () => {
    expect(typeName(Object.create(null))).toBe("Object");
    expect(typeName(Object.create(null), "anonymous class")).toBe("anonymous class");
    const Anonymous = (() => class {})();
    expect(typeName(new Anonymous(), "")).toBe("");
  });

  it("runs no getter: an accessor constructor or name reads as no name", () => {
    let ran = 0;
    const proto = Object.defineProperty({}, "constructor", {
      get() {
        ran++;
        return class Evil {};
      },
    });
    expect(typeName(Object.create(proto), "?")).toBe("?");
    class Named {}
    Object.defineProperty(Named, "name", {
      get() {
        ran++;
        return "Evil";
      },
    });
    expect(typeName(new Named(), "?")).toBe("?");
    expect(ran).toBe(0);
  });

  it("does not read an own `constructor` field of the object (data, not its class)", () => {
    expect(typeName({ constructor: { name: "Fake" } })).toBe("Object");
  });

  it("returns the fallback for a proxy whose traps throw", () => {
    const proxy = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error("trap");
        },
      },
    );
    expect(typeName(proxy, "?")).toBe("?");
  });
});
