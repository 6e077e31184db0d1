// Your own classes in the cache: registered fingerprints and codecs, the built-in ones, and the
// failures (no registration, a codec that throws, an entry whose class this process does not know).
import { deserialize, serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import { Builder } from "./builder.js";
import { decodeEntry, encodeEntry } from "./cache-entry.js";
import { fromStored, registerCodec, registerFingerprint, toStorable } from "./codecs.js";
import { HamiltonError } from "./errors.js";
import { fingerprint, fingerprintForStore } from "./fingerprint.js";
import { MemoryStore } from "./fixtures/memory-store.js";

class Chunk {
  constructor(
    readonly text: string,
    readonly index: number,
  ) {}
  get length(): number {
    return this.text.length;
  }
}
registerCodec(Chunk, {
  encode: (c) => [c.text, c.index] as const,
  decode: ([text, index]) => new Chunk(text, index),
});

/** Fingerprinted but never stored. */
class Handle {
  constructor(readonly id: string) {}
}
registerFingerprint(Handle, (h) => h.id);

/** A codec whose encode throws for one text. */
class Fragile {
  constructor(readonly text: string) {}
}
registerCodec(Fragile, {
  encode: (f) => {
    if (f.text === "boom") throw new Error("cannot encode boom");
    return f.text;
  },
  decode: (t: string) => new Fragile(t),
});
registerFingerprint(Fragile, (f) => f.text);

/** A codec only (no fingerprint function), whose encode throws. */
class Brittle {}
registerCodec(Brittle, {
  encode: () => {
    throw new Error("never");
  },
  decode: () => new Brittle(),
});

class Unknown {
  constructor(readonly text: string) {}
}

function build(modules: Record<string, unknown>, store = new MemoryStore(), warnings: string[] = []) {
  return new Builder()
    .withModules(modules as never)
    .withCache({ store, onWarning: (m) => warnings.push(m) })
    .build() as unknown as {
    execute(outputs: string[], options?: { inputs?: Record<string, unknown> }): Promise<Record<string, unknown>>;
    cache: { lastRun: readonly { node: string; outcome: string }[] };
  };
}

function outcomes(dr: { cache: { lastRun: readonly { node: string; outcome: string }[] } }) {
  return Object.fromEntries(dr.cache.lastRun.map((e) => [e.node, e.outcome]));
}

describe("registerCodec and registerFingerprint", () => {
  it("a node returning class instances is stored and hits with instances of the class; its dependents hit", async () => {
    let chunked = 0;
    let embedded = 0;
    const modules = {
      chunks: ({ doc }: { doc: string }) => (chunked++, doc.split(" ").map((t, i) => new Chunk(t, i))),
      embedding: ({ chunks }: { chunks: Chunk[] }) => (embedded++, chunks.map((c) => c.length * 10 + c.index)),
    };
    const store = new MemoryStore();
    const one = build(modules, store);
    await one.execute(["chunks", "embedding"], { inputs: { doc: "a bb ccc" } });
    const two = build(modules, store);
    const out = await two.execute(["chunks", "embedding"], { inputs: { doc: "a bb ccc" } });
    expect(outcomes(two)).toEqual({ chunks: "hit", embedding: "hit" });
    expect([chunked, embedded]).toEqual([1, 1]);
    const chunks = out.chunks as Chunk[];
    expect(chunks[1]).toBeInstanceOf(Chunk);
    expect(chunks[1]!.length).toBe(2);
    expect(out.embedding).toEqual([10, 21, 32]);
    // Another document: both miss.
    await two.execute(["embedding"], { inputs: { doc: "a bb" } });
    expect(outcomes(two)).toEqual({ chunks: "miss", embedding: "miss" });
  });

  it("a class with a fingerprint but no codec keys its dependents but is not stored", async () => {
    let opened = 0;
    let read = 0;
    const warnings: string[] = [];
    const modules = {
      handle: ({ id }: { id: string }) => (opened++, new Handle(id)),
      contents: ({ handle }: { handle: Handle }) => (read++, `contents of ${handle.id}`),
    };
    const dr = build(modules, new MemoryStore(), warnings);
    await dr.execute(["contents"], { inputs: { id: "h1" } });
    await dr.execute(["contents"], { inputs: { id: "h1" } });
    expect(outcomes(dr)).toEqual({ handle: "miss", contents: "hit" });
    expect([opened, read]).toEqual([2, 1]);
    expect(warnings).toEqual([
      'hamilton-ts cache: node "handle" is not stored because it holds an instance of Handle, which has a fingerprint but no codec: ' +
        "it runs every time (what depends on it is cached). To store it: registerCodec(Handle, { encode: (v) => …, decode: (d) => … }).",
    ]);
  });

  it("an instance of a class with neither is refused by name, and the warning shows both calls", async () => {
    const warnings: string[] = [];
    let runs = 0;
    const modules = {
      item: ({ t }: { t: string }) => new Unknown(t),
      use: ({ item }: { item: Unknown }) => (runs++, item.text),
    };
    const dr = build(modules, new MemoryStore(), warnings);
    await dr.execute(["use"], { inputs: { t: "x" } });
    await dr.execute(["use"], { inputs: { t: "x" } });
    expect(runs).toBe(2);
    expect(fingerprint(new Unknown("x"))).toEqual({
      unfingerprintable: true,
      reason: "an instance of Unknown",
      className: "Unknown",
    });
    const hint =
      "registerFingerprint(Unknown, (v) => …) lets what depends on it be cached, and " +
      "registerCodec(Unknown, { encode: (v) => …, decode: (d) => … }) lets it be stored too (both from @hamilton-ts/core)";
    expect(warnings).toEqual([
      `hamilton-ts cache: node "item" returned a value that cannot be stored (an instance of Unknown), so it runs every time. To cache it: ${hint}.`,
      `hamilton-ts cache: node "use" is not cached because the value of "item" cannot be fingerprinted (an instance of Unknown). ` +
        `If it decides the result, say how to fingerprint Unknown: ${hint}. If that value does not change the result, mark "item" ` +
        `with cache({ behavior: "ignore" }, fn) or withCache({ nodes: { "item": "ignore" } }).`,
    ]);
  });

  it("a codec that throws fails only the cache write: the node succeeds, a warning names the class", async () => {
    const warnings: string[] = [];
    let runs = 0;
    const store = new MemoryStore();
    const modules = { frag: ({ t }: { t: string }) => (runs++, new Fragile(t)) };
    const dr = build(modules, store, warnings);
    const out = await dr.execute(["frag"], { inputs: { t: "boom" } });
    expect(out.frag).toBeInstanceOf(Fragile);
    await dr.execute(["frag"], { inputs: { t: "boom" } });
    expect(runs).toBe(2);
    expect(store.results().size).toBe(0);
    expect(warnings).toEqual([
      'hamilton-ts cache: node "frag" is not stored: the codec of Fragile threw in encode: cannot encode boom. ' +
        "The node's result is unaffected; fix the codec (registerCodec(Fragile, …)) to cache it.",
    ]);
    // Without a fingerprint function the codec's encode fingerprints the instance: its throw is a refusal naming the class.
    expect(fingerprint({ b: new Brittle() })).toEqual({
      unfingerprintable: true,
      reason: "an instance of Brittle at .b whose codec's encode threw (never)",
      className: undefined,
    });
    // Another value encodes: stored and hit.
    await dr.execute(["frag"], { inputs: { t: "fine" } });
    await dr.execute(["frag"], { inputs: { t: "fine" } });
    expect(outcomes(dr)).toEqual({ frag: "hit" });
  });

  it("an entry holding a class this process has no codec for is a miss, with a warning; so is an entry of format 1", async () => {
    const store = new MemoryStore();
    const warnings: string[] = [];
    let runs = 0;
    const dr = build({ c: ({ t }: { t: string }) => (runs++, new Chunk(t, 0)) }, store, warnings);
    await dr.execute(["c"], { inputs: { t: "x" } });
    const [key] = [...store.results().keys()];
    const entry = (fields: Record<string, unknown>) =>
      serialize({ warnings: [], version: "f".repeat(64), run: "r", storedAt: Date.now(), ...fields });
    store.map.set(
      key!,
      entry({
        format: 2,
        codecs: true,
        value: { "\u0000hamilton-ts codec": "codec", name: "NotRegisteredHere", data: 1 },
      }),
    );
    await dr.execute(["c"], { inputs: { t: "x" } });
    expect(outcomes(dr)).toEqual({ c: "miss" });
    expect(warnings).toEqual([
      'hamilton-ts cache: an entry cannot be read back, so it is a miss: the stored entry holds an instance of "NotRegisteredHere", ' +
        "which has no codec in this process (call registerCodec for it before the run).",
    ]);
    // An entry of the format before codecs and storedAt (1), valid in its time, with another value: a miss, not that value.
    store.map.set(key!, entry({ format: 1, value: "a stale value" }));
    const out = await dr.execute(["c"], { inputs: { t: "x" } });
    expect(outcomes(dr)).toEqual({ c: "miss" });
    expect(out.c).toEqual(new Chunk("x", 0));
    expect(runs).toBe(3);
    await dr.execute(["c"], { inputs: { t: "x" } });
    expect(outcomes(dr)).toEqual({ c: "hit" });
  });

  it("refuses bad registrations with a clear error", () => {
    const message = (f: () => void): string => {
      try {
        f();
      } catch (error) {
        return HamiltonError.isInstance(error) ? `${error.code}: ${error.message}` : String(error);
      }
      return "no error";
    };
    class Other {}
    expect(message(() => registerCodec(Other, {} as never))).toBe(
      "INVALID_ARGUMENT: registerCodec(Class, { encode, decode }): the codec must be an object with encode and decode functions, " +
        "e.g. registerCodec(Other, { encode: (v) => …, decode: (d) => … }).",
    );
    expect(message(() => registerFingerprint(Other, 1 as never))).toContain("fingerprint must be a function");
    expect(message(() => registerFingerprint({} as never, () => 1))).toContain("Class must be a class");
    // Another class called Chunk clashes, unless it gets a name of its own.
    const Clash = class Chunk {};
    expect(message(() => registerFingerprint(Clash, () => 1))).toContain(
      'another class is registered as "Chunk" already',
    );
    registerFingerprint(Clash, () => 1, { name: "OtherChunk" });
    expect(fingerprint(new Clash())).not.toEqual(fingerprint(new Chunk("", 0)));
  });
});

describe("built-in classes", () => {
  it("URL and errors are fingerprinted and come back as themselves", () => {
    const error = Object.assign(new TypeError("bad", { cause: new RangeError("deeper") }), { code: "E_BAD" });
    const value = { url: new URL("https://example.com/a?b=1"), error, when: new Date(3), re: /x+/gi };
    const f = fingerprintForStore(value);
    expect(typeof f.version).toBe("string");
    expect(f.codecs).toBe(true);
    const back = decodeEntry(encodeEntry({ value, warnings: [], version: "v", run: "r", storedAt: 1 }, true))!
      .value as typeof value;
    expect(back.url).toBeInstanceOf(URL);
    expect(back.url.href).toBe("https://example.com/a?b=1");
    expect(back.error).toBeInstanceOf(TypeError);
    expect(back.error.message).toBe("bad");
    expect(back.error.code).toBe("E_BAD");
    expect(back.error.stack).toBe(error.stack);
    expect(back.error.cause).toBeInstanceOf(RangeError);
    expect(back.when).toEqual(new Date(3));
    expect(back.re).toEqual(/x+/gi);
    expect(fingerprint(back)).toBe(f.version);
    // Errors differ by class, message, cause and own properties; not by where they were made.
    expect(fingerprint(new TypeError("bad"))).not.toBe(fingerprint(new RangeError("bad")));
    expect(fingerprint(new Error("a"))).not.toBe(fingerprint(new Error("b")));
    expect(fingerprint(Object.assign(new Error("a"), { code: 1 }))).not.toBe(fingerprint(new Error("a")));
    expect(fingerprint(new Error("a", { cause: 1 }))).not.toBe(fingerprint(new Error("a", { cause: 2 })));
    const [here, there] = [new Error("same"), (() => new Error("same"))()];
    expect(here.stack).not.toBe(there.stack);
    expect(fingerprint(here)).toBe(fingerprint(there));
    expect(fingerprint(new URL("https://a.example/"))).not.toBe(fingerprint(new URL("https://b.example/")));
  });

  it("keeps shared parts shared and the value's own objects that look like a stored box as they are", () => {
    const c = new Chunk("t", 1);
    const lookalike = { "\u0000hamilton-ts codec": "codec", name: "Chunk", data: ["x", 0] };
    const value = {
      a: c,
      b: c,
      lookalike,
      list: Object.assign(new Array(3), { 0: c, 2: 3 }) as unknown[],
      map: new Map([[c, new Set([c])]]),
    };
    const back = fromStored(deserialize(serialize(toStorable(value)))) as typeof value;
    expect(back.a).toBeInstanceOf(Chunk);
    expect(back.b).toBe(back.a);
    expect(back.lookalike).toEqual(lookalike);
    expect(back.list).toHaveLength(3);
    expect(1 in back.list).toBe(false);
    expect(back.list[0]).toBe(back.a);
    const [key, set] = [...back.map][0]!;
    expect(key).toBe(back.a);
    expect([...set][0]).toBe(back.a);
  });
});
