import { describe, expect, it } from "vitest";
import { dataProperty } from "./data-property.js";

describe("dataProperty", () => {
  it("reads a data property of the object or of its prototypes", () => {
    class Base {}
    Object.defineProperty(Base.prototype, "kind", { value: "base" });
    const value = Object.assign(new Base(), { own: 1 });
    expect(dataProperty(value, "own")).toBe(1);
    expect(dataProperty(value, "kind")).toBe("base");
    expect(dataProperty(value, "missing")).toBeUndefined();
  });

  it("reads an accessor as undefined without running it", () => {
    let ran = false;
    const value = Object.defineProperty({}, "x", {
      get() {
        ran = true;
        return 1;
      },
    });
    expect(dataProperty(value, "x")).toBeUndefined();
    expect(ran).toBe(false);
  });
});
