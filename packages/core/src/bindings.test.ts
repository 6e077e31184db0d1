import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { collect, extractFields, group, inject, parallelize, parameterize, source, value } from "./bindings.js";
import { checkOutput } from "./check-output.js";
import { Builder } from "./builder.js";
import { buildError } from "./fixtures/errors.js";
import { ticks } from "./fixtures/scheduling.js";
import type { HamiltonError, NodeExecutionError } from "./errors.js";
import { tag, type NodeContext } from "./modifiers.js";
import { subdag } from "./subdag.js";

describe("extractFields", () => {
  it("adds one node per field, read from the object the function returns", async () => {
    const dr = new Builder()
      .withModules({
        stats: tag(
          { owner: "bi" },
          extractFields(["mean", "max"], ({ xs }: { xs: number[] }) => ({
            mean: xs.reduce((a, b) => a + b, 0) / xs.length,
            max: Math.max(...xs),
          })),
        ),
        spread: ({ mean, max }: { mean: number; max: number }) => max - mean,
      })
      .build();
    expect(await dr.execute(["spread", "mean", "stats"], { inputs: { xs: [1, 2, 6] } })).toEqual({
      spread: 3,
      mean: 3,
      stats: { mean: 3, max: 6 },
    });
    expect(dr.listAvailableVariables({ tagFilter: { owner: "bi" } }).map((n) => n.name)).toEqual([
      "max",
      "mean",
      "stats",
    ]);
    expect(dr.graph.node("max")).toMatchObject({ dependencies: ["stats"], functionName: "stats" });
  });

  it("fails the field node clearly when the field is missing", async () => {
    const dr = new Builder().withModules({ obj: extractFields(["a", "b"], () => ({ a: 1 })) }).build();
    const error = (await dr.execute(["b"]).catch((e: unknown) => e)) as NodeExecutionError;
    expect(error.nodeName).toBe("b");
    expect((error.cause as Error).message).toMatch(
      /node "obj" returned an object without this field, so field "b" cannot be read/,
    );
  });

  it("rejects fields that clash with other nodes, naming the function", () => {
    const error = buildError(() =>
      new Builder().withModules({ stats: extractFields(["mean"], () => ({ mean: 1 })), mean: () => 2 }).build(),
    );
    expect(error.code).toBe("DUPLICATE_NODE");
    expect(error.message).toMatch(
      /Node "mean" is produced twice: by field "mean" of "stats" \(extractFields\) and by "mean"/,
    );
  });

  it("rejects bad field lists", () => {
    expect(() => extractFields([], () => ({}))).toThrow(/non-empty array/);
    expect(() => extractFields(["a", "a"], () => ({}))).toThrow(/listed twice/);
  });
});

describe("parameterize, inject, value, source, group", () => {
  it("makes one node per variant with bound values and sources; the export itself is no node", async () => {
    const dr = new Builder()
      .withModules({
        greet: parameterize(
          {
            helloAlice: { name: value("Alice") },
            helloUser: { name: source("userName") },
          },
          ({ name, word = "Hello" }: { name: string; word?: string }) => `${word}, ${name}`,
        ),
      })
      .build();
    expect(dr.graph.node("greet")).toBeUndefined();
    expect(dr.graph.node("helloUser")!.dependencies).toEqual(["userName", "word"]);
    expect(await dr.execute(["helloAlice", "helloUser"], { inputs: { userName: "Bob" } })).toEqual({
      helloAlice: "Hello, Alice",
      helloUser: "Hello, Bob",
    });
    expect(await dr.execute(["helloAlice"], { inputs: { word: "Hi" } })).toEqual({ helloAlice: "Hi, Alice" });
  });

  it("injects groups as arrays or objects", async () => {
    const dr = new Builder()
      .withModules({
        intro: () => "intro",
        body: () => "body",
        doc: inject({ parts: group(source("intro"), value("--"), source("body")) }, ({ parts }: { parts: string[] }) =>
          parts.join(" "),
        ),
        meta: inject(
          { m: group({ first: source("intro"), n: value(2) }) },
          ({ m }: { m: Record<string, unknown> }) => m,
        ),
      })
      .build();
    expect(await dr.execute(["doc", "meta"])).toEqual({ doc: "intro -- body", meta: { first: "intro", n: 2 } });
    expect(dr.graph.node("doc")!.dependencies).toEqual(["intro", "body"]);
  });

  it("rejects a binding for a parameter the function does not have", () => {
    const error = buildError(() =>
      new Builder()
        .withModules({ greet: parameterize({ hi: { nme: value("x") } }, ({ name }: { name: string }) => name) })
        .build(),
    );
    expect(error.code).toBe("INVALID_NODE");
    expect(error.message).toMatch(
      /"greet" \(parameterize "hi"\) binds "nme", which is not a parameter of the function \(its parameters: name\)/,
    );
  });

  it("rejects malformed bindings at once", () => {
    expect(() => inject({ a: 3 as never }, ({ a }: { a: number }) => a)).toThrow(
      /must be bound with value\(...\), source\(...\) or group\(...\)/,
    );
    expect(() => parameterize({}, () => 1)).toThrow(/non-empty object/);
    expect(() => source("")).toThrow(/must be a node name/);
    expect(() => group(group(value(1)) as never)).toThrow(/expected value\(...\) or source\(...\)/);
  });

  it("passes the run context through bindings to a function that takes it", async () => {
    const dr = new Builder()
      .withModules({
        x: () => 1,
        named: inject(
          { y: value(2) },
          ({ x, y }: { x: number; y: number }, ctx: NodeContext) => `${ctx.nodeName}:${x + y}`,
        ),
        variants: parameterize(
          { p1: { k: value("a") }, p2: { k: value("b") } },
          ({ k }: { k: string }, ctx: NodeContext) => `${ctx.nodeName}=${k}`,
        ),
      })
      .build();
    expect(await dr.execute(["named", "p1", "p2"])).toEqual({ named: "named:3", p1: "p1=a", p2: "p2=b" });
  });
});

describe("checkOutput", () => {
  it("fails the node with DATA_VALIDATION listing a Standard Schema's issues", async () => {
    const dr = new Builder()
      .withModules({
        scores: checkOutput(z.array(z.number().min(0).max(1)), () => [0.5, 1.5, -1]),
      })
      .build();
    const error = (await dr.execute(["scores"]).catch((e: unknown) => e)) as NodeExecutionError;
    expect(error.code).toBe("NODE_FAILED");
    const cause = error.cause as HamiltonError & { issues: string[] };
    expect(cause.code).toBe("DATA_VALIDATION");
    expect(cause.issues).toHaveLength(2);
    expect(cause.issues[0]).toMatch(/^1: .*(<=|1)/);
    expect(cause.issues[1]).toMatch(/^2: .*(>=|0)/);
    expect(cause.message).toMatch(/Output of node "scores" failed validation with 2 issues/);
  });

  it("keeps a synchronous node synchronous, and checks the settled value of any thenable", async () => {
    const kinds: string[] = [];
    const thenable = { then: (resolve: (v: number) => void) => resolve(5) };
    const dr = new Builder()
      .withModules({
        sync: checkOutput(z.number().max(10), () => 3),
        lazy: checkOutput(
          (v: number) => v === 5 || `got ${String(v)}`,
          () => thenable as unknown as Promise<number>,
        ),
      })
      .withAdapters({
        aroundNodeExecution: (e, next) => {
          const out = next();
          kinds.push(`${e.node.name}:${out instanceof Promise ? "promise" : typeof out}`);
          return out;
        },
      })
      .build();
    expect(await dr.execute(["sync", "lazy"])).toEqual({ sync: 3, lazy: 5 });
    expect(kinds.sort()).toEqual(["lazy:promise", "sync:number"]);
  });

  it("passes valid values through, sync or async", async () => {
    const dr = new Builder()
      .withModules({
        a: checkOutput(z.string().min(2), async () => "ok"),
        b: checkOutput(
          (n: number) => n > 0,
          () => 5,
        ),
      })
      .build();
    expect(await dr.execute(["a", "b"])).toEqual({ a: "ok", b: 5 });
  });

  it("with importance warn keeps the value, logs once and reports the issues to adapters", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const warnings: Array<readonly string[] | undefined> = [];
      const dr = new Builder()
        .withModules({
          summary: checkOutput(
            (s: string) => s.length < 5 || `summary is ${s.length} characters long`,
            () => "far too long",
            {
              importance: "warn",
            },
          ),
        })
        .withAdapters({ afterNodeExecution: (e) => void warnings.push(e.warnings) })
        .build();
      expect(await dr.execute(["summary"])).toEqual({ summary: "far too long" });
      expect(await dr.execute(["summary"])).toEqual({ summary: "far too long" });
      expect(warnings).toEqual([
        ["summary is 12 characters long (predicate)"],
        ["summary is 12 characters long (predicate)"],
      ]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/node "summary": output check \(predicate\) found 1 issue/);
    } finally {
      warn.mockRestore();
    }
  });

  it("rejects something that is neither a Standard Schema nor a predicate", () => {
    expect(() => checkOutput({ parse: () => 1 } as never, () => 1)).toThrow(/must be a Standard Schema/);
    expect(() =>
      checkOutput(
        () => true,
        () => 1,
        { importance: "maybe" as never },
      ),
    ).toThrow(/"warn" or "fail"/);
  });
});

describe("subdag", () => {
  const summarizer = {
    words: ({ text }: { text: string }) => text.split(" "),
    summary: ({ words, maxWords = 2 }: { words: string[]; maxWords?: number }) => words.slice(0, maxWords).join(" "),
  };

  it("embeds a dataflow under a namespace, binding its inputs, and feeds a final node", async () => {
    const dr = new Builder()
      .withModules({
        article: () => "the quick brown fox",
        english: subdag([summarizer], { inputs: { text: source("article") } }, ({ summary }: { summary: string }) =>
          summary.toUpperCase(),
        ),
        short: subdag([summarizer], { inputs: { text: value("a b c"), maxWords: value(1) }, namespace: "tiny" }),
      })
      .build();
    expect(dr.graph.nodes.map((n) => n.name)).toEqual([
      "article",
      "english",
      "english.summary",
      "english.words",
      "maxWords",
      "tiny.summary",
      "tiny.words",
    ]);
    expect(await dr.execute(["english", "tiny.summary"])).toEqual({ english: "THE QUICK", "tiny.summary": "a" });
    expect(await dr.execute(["english.summary"], { inputs: { maxWords: 3 } })).toEqual({
      "english.summary": "the quick brown",
    });
    expect(dr.graph.node("english.words")!.tags).toEqual({ "hamilton.subdag": "english" });
  });

  it("applies its own config to the embedded dataflow", async () => {
    const { configWhen } = await import("./modifiers.js");
    const mod = {
      tone__formal: configWhen({ tone: "formal" }, () => "Dear"),
      tone__casual: configWhen({ tone: "casual" }, () => "Hey"),
      opening: ({ tone, who }: { tone: string; who: string }) => `${tone} ${who}`,
    };
    const dr = new Builder()
      .withModules({
        a: subdag([mod], { config: { tone: "formal" }, inputs: { who: value("Sir") } }),
        b: subdag([mod], { config: { tone: "casual" }, inputs: { who: value("you") } }),
      })
      .build();
    expect(await dr.execute(["a.opening", "b.opening"])).toEqual({ "a.opening": "Dear Sir", "b.opening": "Hey you" });
  });

  it("rejects bad arguments", () => {
    expect(() => subdag([], {})).toThrow(/non-empty array/);
    expect(() => subdag([summarizer], { namespace: "not valid" })).toThrow(/namespace must be an identifier/);
  });
});

describe("parallelize and collect", () => {
  it("runs the nodes between them once per item and collects the results in item order", async () => {
    const dr = new Builder()
      .withModules({
        url: parallelize(({ urls }: { urls: string[] }) => urls),
        page: async ({ url, prefix }: { url: string; prefix: string }) => {
          await ticks(url.length % 3);
          return `${prefix}${url}`;
        },
        length: ({ page }: { page: string }) => page.length,
        pages: collect(({ page, length }: { page: string[]; length: number[] }) =>
          page.map((p, i) => `${p}:${length[i]}`),
        ),
        count: ({ pages }: { pages: string[] }) => pages.length,
      })
      .build();
    const out = await dr.execute(["pages", "count"], { inputs: { urls: ["a", "bb", "ccc", "dddd"], prefix: "/" } });
    expect(out).toEqual({ pages: ["/a:2", "/bb:3", "/ccc:4", "/dddd:5"], count: 4 });
  });

  it("gives two collect nodes of one fan-out every outer value, however their inputs finish", async () => {
    const dr = new Builder()
      .withModules({
        url: parallelize(({ urls }: { urls: string[] }) => urls),
        slowPrefix: async () => (await ticks(5), "P:"),
        a: ({ url }: { url: string }) => url.length,
        b: ({ url, slowPrefix }: { url: string; slowPrefix: string }) => `${slowPrefix}${url}`,
        lengths: collect(({ a }: { a: number[] }) => a),
        prefixed: collect(({ b }: { b: string[] }) => b),
      })
      .build();
    const both = await dr.execute(["lengths", "prefixed"], { inputs: { urls: ["x", "yy"] } });
    expect(both).toEqual({ lengths: [1, 2], prefixed: ["P:x", "P:yy"] });
    expect(await dr.execute(["prefixed"], { inputs: { urls: ["x", "yy"] } })).toEqual({ prefixed: ["P:x", "P:yy"] });
  });

  it("runs the items of a fan-out under the driver's limit, starting them in item order", async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const dr = new Builder()
      .withModules({
        item: parallelize(({ n }: { n: number }) => Array.from({ length: n }, (_, i) => i)),
        work: async ({ item }: { item: number }) => {
          started.push(item);
          most = Math.max(most, ++running);
          await ticks(1);
          running--;
          return item * 2;
        },
        all: collect(({ work }: { work: number[] }) => work),
      })
      .withMaxConcurrency(3)
      .build();
    const { all } = await dr.execute(["all"], { inputs: { n: 40 } });
    expect(all).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    expect(most).toBe(3);
    expect(started).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it("starts thousands of waiting items in item order under a limit, each once", async () => {
    const started: number[] = [];
    const dr = new Builder()
      .withModules({
        item: parallelize(({ n }: { n: number }) => Array.from({ length: n }, (_, i) => i)),
        work: async ({ item }: { item: number }) => {
          started.push(item);
          await null;
          return item;
        },
        all: collect(({ work }: { work: number[] }) => work.length),
      })
      .withMaxConcurrency(7)
      .build();
    expect(await dr.execute(["all"], { inputs: { n: 5000 } })).toEqual({ all: 5000 });
    expect(started).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it("accepts iterables and async iterables, and an empty fan-out", async () => {
    const mod = (make: (n: number) => Iterable<number> | AsyncIterable<number>) => ({
      item: parallelize(({ n }: { n: number }) => make(n)),
      squared: ({ item }: { item: number }) => item * item,
      all: collect(({ squared }: { squared: number[] }) => squared),
    });
    const gen = function* (n: number) {
      for (let i = 0; i < n; i++) yield i;
    };
    const agen = async function* (n: number) {
      for (let i = 0; i < n; i++) {
        await ticks(1);
        yield i;
      }
    };
    expect(
      await new Builder()
        .withModules(mod(gen))
        .build()
        .execute(["all"], { inputs: { n: 4 } }),
    ).toEqual({ all: [0, 1, 4, 9] });
    expect(
      await new Builder()
        .withModules(mod(agen))
        .build()
        .execute(["all"], { inputs: { n: 3 } }),
    ).toEqual({ all: [0, 1, 4] });
    expect(
      await new Builder()
        .withModules(mod(gen))
        .build()
        .execute(["all"], { inputs: { n: 0 } }),
    ).toEqual({ all: [] });
    const bad = await new Builder()
      .withModules(mod((() => 42) as never))
      .build()
      .execute(["all"], { inputs: { n: 1 } })
      .catch((e: unknown) => e);
    expect((bad as Error).message).toMatch(
      /parallelize node "item" returned number; it must return an array, an iterable or an async iterable/,
    );
  });

  it("runs items concurrently within the driver's limit", async () => {
    let running = 0;
    let peak = 0;
    const mod = {
      item: parallelize(() => Array.from({ length: 20 }, (_, i) => i)),
      slow: async ({ item }: { item: number }) => {
        running++;
        peak = Math.max(peak, running);
        await ticks(5);
        running--;
        return item;
      },
      all: collect(({ slow }: { slow: number[] }) => slow.reduce((a, b) => a + b, 0)),
    };
    expect(await new Builder().withModules(mod).build().execute(["all"])).toEqual({ all: 190 });
    expect(peak).toBe(20);
    peak = 0;
    expect(await new Builder().withModules(mod).withMaxConcurrency(4).build().execute(["all"])).toEqual({ all: 190 });
    expect(peak).toBe(4);
  });

  it("gives each item's node runs a task id, inside the one run", async () => {
    const events: string[] = [];
    const dr = new Builder()
      .withModules({
        item: parallelize(() => ["x", "y"]),
        upper: ({ item }: { item: string }) => item.toUpperCase(),
        all: collect(({ upper }: { upper: string[] }) => upper.join("")),
      })
      .withAdapters({
        afterNodeExecution: (e) => void events.push(`${e.node.name}@${e.taskId ?? "-"}`),
        afterGraphExecution: (e) => void events.push(`run ${String(e.success)}`),
      })
      .build();
    expect(await dr.execute(["all"])).toEqual({ all: "XY" });
    expect(events).toEqual(["item@-", "upper@item[0]", "upper@item[1]", "all@-", "run true"]);
    expect(dr.graph.node("item")!.kind).toBe("expand");
    expect(dr.graph.node("all")!.kind).toBe("collect");
    const picture = dr.visualizeExecution(["all"]);
    expect(picture).toContain('n_item[/"item"/]:::expand');
    expect(picture).toContain('n_all[\\"all"\\]:::collect');
    expect(picture).toContain('n_upper["upper"]:::perItem');
    expect(picture).toContain("n_item --> n_upper");
    expect(picture).toContain("n_upper --> n_all");
  });

  it("fails the run naming the item's node and task, after every item's events", async () => {
    const events: string[] = [];
    const dr = new Builder()
      .withModules({
        item: parallelize(() => [1, 2, 3]),
        checked: async ({ item }: { item: number }, ctx: NodeContext) => {
          if (item === 1) throw new Error("item 1 is bad");
          // The others stop when the run does.
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
          return item;
        },
        all: collect(({ checked }: { checked: number[] }) => checked),
      })
      .withAdapters({
        afterNodeExecution: (e) => void events.push(`${e.node.name}@${e.taskId ?? "-"}:${e.success}`),
        afterGraphExecution: (e) => void events.push(`run ${String(e.success)}`),
      })
      .build();
    const error = (await dr.execute(["all"]).catch((e: unknown) => e)) as NodeExecutionError;
    expect(error.nodeName).toBe("checked");
    expect(error.taskId).toBe("item[0]");
    expect(error.message).toBe('Node "checked" (task item[0]) failed: item 1 is bad');
    // execute settled after every item's events and the run's: no waiting needed.
    expect(events.at(-1)).toBe("run false");
    expect(events.filter((e) => e.startsWith("checked@"))).toHaveLength(3);
    expect(events).not.toContain("all@-:true");
  });

  it("reads values from outside the fan-out once per item, and lets collect read outer values as scalars", async () => {
    const calls: string[] = [];
    const dr = new Builder()
      .withModules({
        factor: () => (calls.push("factor"), 10),
        item: parallelize(() => [1, 2, 3]),
        scaled: ({ item, factor }: { item: number; factor: number }) => item * factor,
        total: collect(
          ({ scaled, factor }: { scaled: number[]; factor: number }) => scaled.reduce((a, b) => a + b, 0) / factor,
        ),
      })
      .build();
    expect(await dr.execute(["total"])).toEqual({ total: 6 });
    expect(calls).toEqual(["factor"]);
  });

  it("reports fan-out misuse at build, naming the node", () => {
    const noParallelize = buildError(() =>
      new Builder().withModules({ a: () => [1], all: collect(({ a }: { a: number[] }) => a) }).build(),
    );
    expect(noParallelize.message).toMatch(
      /"all" is a collect node, but none of its dependencies \(a\) comes from a parallelize node/,
    );

    const nested = buildError(() =>
      new Builder()
        .withModules({
          outer: parallelize(() => [[1, 2]]),
          inner: parallelize(({ outer }: { outer: number[] }) => outer),
          all: collect(({ inner }: { inner: number[] }) => inner),
        })
        .build(),
    );
    expect(nested.message).toMatch(
      /"inner" starts a fan-out inside the fan-out of "outer": nested fan-outs are not supported/,
    );

    const dangling = buildError(() =>
      new Builder()
        .withModules({
          item: parallelize(() => [1]),
          used: ({ item }: { item: number }) => item,
          unused: ({ item }: { item: number }) => item,
          all: collect(({ used }: { used: number[] }) => used),
        })
        .build(),
    );
    expect(dangling.message).toMatch(
      /"unused" runs once per item of the fan-out "item", but no collect node gathers it/,
    );
  });

  it("refuses to return a per-item node on its own", async () => {
    const dr = new Builder()
      .withModules({
        item: parallelize(() => [1]),
        double: ({ item }: { item: number }) => item * 2,
        all: collect(({ double }: { double: number[] }) => double),
      })
      .build();
    await expect(dr.execute(["double"])).rejects.toThrow(/"double" runs once per item of a fan-out/);
  });
});
