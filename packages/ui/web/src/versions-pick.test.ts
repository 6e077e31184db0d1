import { describe, expect, it } from "vitest";
import { defaultPair } from "./versions-pick.js";

describe("defaultPair", () => {
  it("picks the two newest versions with a template, older first", () => {
    expect(
      defaultPair([
        { graphVersion: "v4", nodes: null },
        { graphVersion: "v3", nodes: 3 },
        { graphVersion: "v2", nodes: 2 },
        { graphVersion: "v1", nodes: 2 },
      ]),
    ).toEqual({ a: "v2", b: "v3" });
    // The same version in two projects counts once.
    expect(
      defaultPair([
        { graphVersion: "v1", nodes: 2 },
        { graphVersion: "v1", nodes: 2 },
      ]),
    ).toEqual({ a: "", b: "v1" });
    expect(defaultPair([])).toEqual({ a: "", b: "" });
  });
});
