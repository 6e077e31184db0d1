import { describe, expect, it } from "vitest";
import { Builder } from "./builder.js";

describe("Builder", () => {
  it("starts empty from new Builder(), with or without an explicit undefined", async () => {
    const plain = new Builder().withModules({ a: () => 1 }).build();
    expect(await plain.execute(["a"])).toEqual({ a: 1 });
    const explicit = new (Builder as unknown as new (state: undefined) => Builder)(undefined);
    expect(
      await explicit
        .withModules({ a: () => 2 })
        .build()
        .execute(["a"]),
    ).toEqual({ a: 2 });
  });

  it("takes no state in its constructor, so the with* methods' checks cannot be skipped", () => {
    const withState = Builder as unknown as new (state: object) => Builder;
    const attempt = () => new withState({ modules: [{ a: () => 1 }], config: {}, maxConcurrency: 0 });
    expect(attempt).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(attempt).toThrow(/new Builder\(\) takes no argument, got one\. Start from new Builder\(\) and add to it/);
  });

  it("keeps each step's builder unchanged (every with* returns a new one)", async () => {
    const base = new Builder().withModules({ a: ({ x }: { x: number }) => x });
    const configured = base.withConfig({ x: 5 });
    expect(await configured.build().execute(["a"])).toEqual({ a: 5 });
    await expect(base.build().execute(["a"])).rejects.toMatchObject({ code: "MISSING_INPUTS" });
  });
});
