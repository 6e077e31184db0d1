import { describe, expect, it } from "vitest";
import { Builder } from "./builder.js";
import { buildError } from "./fixtures/errors.js";
import { HamiltonError } from "./errors.js";
import { buildGraph } from "./graph.js";
import { configWhen, node, tag } from "./modifiers.js";

describe("building a graph", () => {
  it("takes every function-valued, non-_ property as a node and infers external inputs", () => {
    const dr = new Builder()
      .withModules({
        a: ({ x }: { x: number }) => x,
        b: ({ a, y = 2 }: { a: number; y?: number }) => a + y,
        _helper: () => 0,
        constant: 42,
        label: "not a node",
      } as const)
      .build();
    expect(dr.graph.nodes.map((n) => [n.name, n.kind])).toEqual([
      ["a", "transform"],
      ["b", "transform"],
      ["x", "input"],
      ["y", "input"],
    ]);
    expect(dr.graph.node("b")).toMatchObject({
      dependencies: ["a", "y"],
      optionalDependencies: ["y"],
      isExternalInput: false,
    });
    expect(dr.graph.node("x")?.isExternalInput).toBe(true);
    expect(dr.graph.node("nope")).toBeUndefined();
  });

  it("accepts ES module namespaces", async () => {
    const ns = await import("./fixtures/dataflow.js");
    const dr = new Builder().withModules(ns).build();
    expect(dr.graph.nodes.map((n) => n.name)).toEqual(["greeting", "name", "shout"]);
    expect(dr.graph.node("greeting")?.source).toContain("Hello");
  });

  it("reports every problem at once, with VALIDATION_FAILED when they differ in kind", () => {
    const error = buildError(() =>
      new Builder()
        .withModules(
          {
            good: ({ bad }: { bad: number }) => bad,
            bad: (x: number) => x,
            p: ({ q }: { q: number }) => q,
            q: ({ p }: { p: number }) => p,
          },
          { good: () => 1 },
        )
        .build(),
    );
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.problems.map((p) => p.code).sort()).toEqual(["CYCLE", "DUPLICATE_NODE", "INVALID_NODE"]);
    expect(error.message).toMatch(/3 problems/);
    expect(HamiltonError.isInstance(error)).toBe(true);
  });

  it("names the invalid function and says to use node(deps, fn)", () => {
    const error = buildError(() => new Builder().withModules({ summarize: (text: string) => text }).build());
    expect(error.code).toBe("INVALID_NODE");
    expect(error.problems[0]!.node).toBe("summarize");
    expect(error.message).toMatch(/"summarize" cannot be a node/);
    expect(error.message).toMatch(/node\(\["dep1", "dep2"\], fn\)/);
  });

  it("prints the cycle path", () => {
    const error = buildError(() =>
      new Builder()
        .withModules({
          a: ({ c }: { c: number }) => c,
          b: ({ a }: { a: number }) => a,
          c: ({ b }: { b: number }) => b,
          d: ({ d }: { d: number }) => d,
        })
        .build(),
    );
    expect(error.code).toBe("CYCLE");
    expect(error.problems).toHaveLength(2);
    expect(error.message).toMatch(/a -> b -> c -> a/);
    expect(error.message).toMatch(/d -> d/);
  });

  it("rejects duplicates across modules unless overrides are allowed, where the later module wins", async () => {
    const first = { value: () => 1, other: () => "x" };
    const second = { value: () => 2 };
    const error = buildError(() => new Builder().withModules(first, second).build());
    expect(error.code).toBe("DUPLICATE_NODE");
    expect(error.message).toMatch(/allowModuleOverrides/);
    // Both places are named: which export of which module.
    expect(error.message).toContain(
      'Node "value" is defined in two modules: by export "value" of module #0 and by export "value" of module #1',
    );
    const dr = new Builder().withModules(first, second).allowModuleOverrides().build();
    expect(await dr.execute(["value"])).toEqual({ value: 2 });
  });

  it("rejects a name defined twice in one module, even with overrides allowed", () => {
    const mod = { rawText: () => "plain", rawText__md: configWhen({ format: "md" }, () => "md") };
    for (const builder of [new Builder(), new Builder().allowModuleOverrides()]) {
      const error = buildError(() =>
        builder
          .withModules({ other: () => 1 }, mod)
          .withConfig({ format: "md" })
          .build(),
      );
      expect(error.code).toBe("DUPLICATE_NODE");
      expect(error.message).toContain(
        'Node "rawText" is defined twice in module #1 of withModules(...): by export "rawText" and by export "rawText__md"',
      );
    }
  });

  it("picks the one configWhen variant that matches and strips its suffix", async () => {
    const mod = {
      model__fast: configWhen({ quality: "fast" }, () => "gpt-4o-mini"),
      model__best: configWhen({ quality: ["best", "max"] }, () => "gpt-4o"),
      answer: ({ model }: { model: string }) => `using ${model}`,
    };
    const fast = new Builder().withModules(mod).withConfig({ quality: "fast" }).build();
    expect(await fast.execute(["answer"])).toEqual({ answer: "using gpt-4o-mini" });
    const max = new Builder().withModules(mod).withConfig({ quality: "max" }).build();
    expect(await max.execute(["answer", "quality"])).toEqual({ answer: "using gpt-4o", quality: "max" });
    expect(max.graph.node("model")?.functionName).toBe("model__best");
    // No variant matches: "model" is an input the caller must provide.
    const none = new Builder().withModules(mod).withConfig({ quality: "cheap" }).build();
    expect(none.graph.node("model")?.isExternalInput).toBe(true);
  });

  it("rejects two matching variants", () => {
    const error = buildError(() =>
      new Builder()
        .withModules({
          model__a: configWhen(
            () => true,
            () => "a",
          ),
          model__b: configWhen({ x: 1 }, () => "b"),
        })
        .withConfig({ x: 1 })
        .build(),
    );
    expect(error.code).toBe("DUPLICATE_NODE");
    expect(error.message).toMatch(/2 variants of node "model" match the config/);
  });

  it("rejects a config key that names a node", () => {
    const error = buildError(() =>
      new Builder()
        .withModules({ a: () => 1 })
        .withConfig({ a: 2 })
        .build(),
    );
    expect(error.code).toBe("CONFIG_CONFLICT");
    expect(error.message).toMatch(/Config key "a" has the name of a node/);
  });

  it("rejects classes and modules that are not objects", () => {
    class Helper {}
    const error = buildError(() => new Builder().withModules({ Helper }, null as unknown as object).build());
    expect(error.problems.map((p) => p.message).join("\n")).toMatch(/it is a class.*Prefix the export with _/);
    expect(error.problems.map((p) => p.message).join("\n")).toMatch(/Module #1 is null/);
  });

  it("runs adapter validators and lists what they reject", () => {
    const error = buildError(() =>
      new Builder()
        .withModules({ ok: () => 1, bad_name: () => 2 })
        .withAdapters({
          validateNode: ({ node }) => (node.name.includes("_") ? "use camelCase names" : undefined),
        })
        .build(),
    );
    expect(error.code).toBe("ADAPTER_VALIDATION");
    expect(error.message).toMatch(/rejected node "bad_name": use camelCase names/);
  });

  it("calls afterGraphConstruction with the graph and config", () => {
    const seen: unknown[] = [];
    new Builder()
      .withModules({ a: () => 1 })
      .withConfig({ region: "eu" })
      .withAdapters({ afterGraphConstruction: ({ graph, config }) => void seen.push(graph.nodes.length, config) })
      .build();
    expect(seen).toEqual([2, { region: "eu" }]); // "a" and the config input "region"
  });

  it("gives nodes a version that changes with their source, and the graph one that changes with any node", () => {
    const v1 = new Builder().withModules({ a: () => 1, b: ({ a }: { a: number }) => a }).build().graph;
    const v1again = new Builder().withModules({ a: () => 1, b: ({ a }: { a: number }) => a }).build().graph;
    const v2 = new Builder().withModules({ a: () => 2, b: ({ a }: { a: number }) => a }).build().graph;
    expect(v1.node("a")!.version).toBe(v1again.node("a")!.version);
    expect(v1.version).toBe(v1again.version);
    expect(v1.node("a")!.version).not.toBe(v2.node("a")!.version);
    expect(v1.node("b")!.version).toBe(v2.node("b")!.version);
    expect(v1.version).not.toBe(v2.version);
  });

  it("keeps tags and docs from node() and tag()", () => {
    const dr = new Builder()
      .withModules({
        raw: tag({ owner: "data", pii: ["email", "name"] }, () => [1, 2]),
        total: node(["raw"], ({ raw }: { raw: number[] }) => raw.length, {
          doc: "How many rows.",
          tags: { owner: "bi" },
        }),
      })
      .build();
    expect(dr.graph.node("raw")!.tags).toEqual({ owner: "data", pii: ["email", "name"] });
    expect(dr.graph.node("total")).toMatchObject({
      tags: { owner: "bi" },
      documentation: "How many rows.",
      dependencies: ["raw"],
    });
  });

  it("finds a cycle among nodes declared mostly after what they read, and builds a graph declared in reverse", async () => {
    const error = buildError(() =>
      new Builder()
        .withModules({
          a: ({ start }: { start: number }) => start,
          b: ({ a, d }: { a: number; d: number }) => a + d,
          c: ({ b }: { b: number }) => b,
          d: ({ c }: { c: number }) => c,
        })
        .build(),
    );
    expect(error.code).toBe("CYCLE");
    expect(error.message).toMatch(/b -> c -> d -> b/);
    const reversed = new Builder()
      .withModules({
        c: ({ b }: { b: number }) => b + 1,
        b: ({ a }: { a: number }) => a + 1,
        a: ({ start }: { start: number }) => start,
      })
      .build();
    expect(await reversed.execute(["c"], { inputs: { start: 1 } })).toEqual({ c: 3 });
  });

  it("wires indices, consumers, optional flags and names as the run reads them", () => {
    const many = Array.from({ length: 20 }, (_, i) => `i${i}`);
    const wide = new Function(`return ({ ${many.join(", ")} }) => 0`)() as () => number;
    const { graph } = buildGraph(
      [{ b: ({ a, x = 1 }: { a: number; x?: number }) => a + x, a: ({ start }: { start: number }) => start, wide }],
      { config: { mode: "fast" }, allowModuleOverrides: false },
    );
    expect(graph).toBeDefined();
    const nodes = graph!.nodes;
    // Functions in module order, then external inputs (config keys included) sorted by name.
    expect(nodes.map((n) => n.name)).toEqual(["b", "a", "wide", ...[...many, "mode", "start", "x"].sort()]);
    const at = (name: string) => graph!.byName.get(name)!;
    expect(at("b").depIndex).toEqual([at("a").index, at("x").index]);
    expect(at("b").depOptional).toEqual([false, true]);
    expect(at("b").info.optionalDependencies).toEqual(["x"]);
    expect(at("a").depOptional).toEqual([false]);
    expect(at("wide").depOptional).toEqual(many.map(() => false));
    expect(at("wide").depIndex).toEqual(many.map((name) => at(name).index));
    expect(at("a").consumers).toEqual([at("b").index]);
    expect(at("start").consumers).toEqual([at("a").index]);
    expect(at("b").consumers).toEqual([]);
    // byName is a read-only map of every node, in node order.
    expect(graph!.byName.size).toBe(nodes.length);
    expect([...graph!.byName.keys()]).toEqual(nodes.map((n) => n.name));
    expect([...graph!.byName]).toEqual(nodes.map((n) => [n.name, n]));
    expect([...graph!.byName.values()]).toEqual(nodes);
    expect(graph!.byName.has("mode")).toBe(true);
    expect(graph!.byName.get("nope")).toBeUndefined();
    // The adapters' view: sorted by name, and serialisable with its nodes and config.
    expect(graph!.info.nodes.map((n) => n.name)).toEqual(nodes.map((n) => n.name).sort());
    expect(graph!.info.node("wide")!.dependencies).toEqual(many);
    const json = JSON.parse(JSON.stringify(graph!.info)) as { nodes: { name: string }[]; config: unknown };
    expect(json.config).toEqual({ mode: "fast" });
    expect(json.nodes.map((n) => n.name)).toEqual(graph!.info.nodes.map((n) => n.name));
  });
});
