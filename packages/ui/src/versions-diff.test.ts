import { templateRecord } from "@hamilton-ts/testing/records";
import { describe, expect, it } from "vitest";
import { diffTemplates } from "./versions-diff.js";

describe("diffTemplates", () => {
  const v1 = templateRecord({ graphVersion: "v1" });
  const [a, c] = v1.nodes as [(typeof v1.nodes)[0], (typeof v1.nodes)[0]];

  it("finds nodes added, removed and changed, and counts the unchanged", () => {
    const v2 = templateRecord({
      graphVersion: "v2",
      nodes: [
        { ...c, version: "vc2", source: "({ a }) => a + 1", documentation: "Adds one." },
        { ...a, name: "b", version: "vb" },
      ],
    });
    const d = diffTemplates(v1, v2);
    expect(d.added.map((n) => n.name)).toEqual(["b"]);
    expect(d.removed.map((n) => n.name)).toEqual(["a"]);
    expect(d.changed).toEqual([
      {
        name: "c",
        changes: ["code", "documentation"],
        before: expect.objectContaining({ version: "vc", source: "({ a }) => a" }),
        after: expect.objectContaining({ version: "vc2", source: "({ a }) => a + 1" }),
      },
    ]);
    expect(d.unchanged).toBe(0);
    expect(diffTemplates(v1, v1)).toMatchObject({ added: [], removed: [], changed: [], unchanged: 2 });
  });

  it("tells a change of dependencies or kind from a change of code", () => {
    const v2 = templateRecord({
      graphVersion: "v2",
      nodes: [
        { ...a, kind: "expand" },
        { ...c, dependencies: ["a", "x"] },
      ],
    });
    expect(diffTemplates(v1, v2).changed.map((n) => `${n.name}:${n.changes.join(",")}`)).toEqual([
      "a:kind",
      "c:dependencies",
    ]);
    // Same version, other source (a source recorded again): still a code change.
    const v3 = templateRecord({ graphVersion: "v3", nodes: [a, { ...c, source: "({ a }) =>  a" }] });
    expect(diffTemplates(v1, v3).changed.map((n) => n.changes)).toEqual([["code"]]);
  });
});
