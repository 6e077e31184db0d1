// Whole processes: a TypeScript dataflow run with tsx, the same compiled by tsc (with source maps)
// and run with node, a comment-only edit, a code edit, a plain .mjs module and a compiled module
// whose source map is missing. The template each run writes (FileSink) must show the source the
// user wrote, with its file and line, and the versions must follow the code, not the compiler.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcess, timeBudget, type ProcessResult, type TimeBudget } from "@hamilton-ts/testing";
import { readFileStore } from "@hamilton-ts/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeTemplate } from "./records.js";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const fixtures = join(packageDir, "test", "source-fixtures");
const child = join(packageDir, "test", "source-child.mjs");
const bin = (name: string) => join(packageDir, "node_modules", ".bin", name);

/** The fixture's functions as written (each is what the template must show). */
const PROMPT = `function prompt({ topic }: { topic: string }): string {
  // Ask for a long answer: the comment the template must keep.
  return \`Tell me about \${topic} in \${5000} words\`;
}`;
const LENGTH = `async ({ prompt }: { prompt: string }): Promise<number> => {
  /* characters, not words */
  return prompt.length;
}`;
const SHOUT = `shout({ prompt }: { prompt: string }): string {
    return prompt.toUpperCase(); // loud
  }`;
const SUMMARY = `function ({ length }: { length: number }): string {
  return \`\${length} characters\`;
}`;
const EXPECTED: Record<string, { source: string; sourceLine: number }> = {
  prompt: { source: PROMPT, sourceLine: 3 },
  length: { source: LENGTH, sourceLine: 8 },
  shout: { source: SHOUT, sourceLine: 14 },
  summary: { source: SUMMARY, sourceLine: 19 },
};

let dir: string;
let budget: TimeBudget;
/** Each store's template nodes by name, and its graph version. */
const stores = new Map<string, { nodes: Map<string, NodeTemplate>; graphVersion: string }>();

function store(name: string) {
  const found = stores.get(name);
  if (found === undefined) throw new Error(`no template was written to the store "${name}"`);
  return found;
}

function expectDone(result: ProcessResult, what: string): void {
  expect(
    { code: result.code, done: result.stdout.includes("done") },
    `${what}:\n${result.stdout}\n${result.stderr}`,
  ).toEqual({
    code: 0,
    done: true,
  });
}

beforeAll(async () => {
  budget = await timeBudget();
  dir = await mkdtemp(join(tmpdir(), "tracker-template-source-"));
  const original = await readFile(join(fixtures, "dataflow.ts"), "utf8");
  // The expected texts are the fixture's own.
  for (const { source } of Object.values(EXPECTED)) expect(original).toContain(source);
  const commented = original
    .replace("the comment the template must keep", "another comment, longer, on the same line")
    .replace("/* characters, not words */", "/* a different comment */   ");
  const edited = original.replace("${5000}", "${6000}");
  expect(commented).not.toBe(original);
  expect(edited).not.toBe(original);
  await writeFile(join(dir, "dataflow.ts"), original);
  await writeFile(join(dir, "commented.ts"), commented);
  await writeFile(join(dir, "edited.ts"), edited);
  await copyFile(join(fixtures, "plain.mjs"), join(dir, "plain.mjs"));
  await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  await writeFile(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        sourceMap: true,
        rootDir: ".",
        outDir: "dist",
        types: [],
      },
      files: ["dataflow.ts", "commented.ts"],
    }),
  );
  const killAfterMs = budget.ms(90_000);
  const tsc = await runProcess({ command: bin("tsc"), args: ["-p", "tsconfig.json"], cwd: dir, killAfterMs });
  expect(tsc.code, `tsc:\n${tsc.stdout}\n${tsc.stderr}`).toBe(0);
  // Bundled by esbuild (a .js.map next to it), as is and minified (names, numbers and bodies change).
  for (const [out, extra] of [
    ["bundle/dataflow.js", []],
    ["bundle/dataflow.min.js", ["--minify"]],
  ] as const) {
    const esbuild = await runProcess({
      command: bin("esbuild"),
      args: ["dataflow.ts", "--bundle", "--format=esm", "--platform=node", "--sourcemap", `--outfile=${out}`, ...extra],
      cwd: dir,
      killAfterMs,
    });
    expect(esbuild.code, `esbuild:\n${esbuild.stdout}\n${esbuild.stderr}`).toBe(0);
  }
  // A compiled module whose map is gone: it still names dataflow.js.map, which is not next to it.
  await mkdir(join(dir, "nomap"));
  await copyFile(join(dir, "dist", "dataflow.js"), join(dir, "nomap", "dataflow.js"));

  const runs = {
    tsx: ["dataflow.ts", "commented.ts", "edited.ts"],
    node: [
      "dist/dataflow.js",
      "dist/commented.js",
      "bundle/dataflow.js",
      "bundle/dataflow.min.js",
      "nomap/dataflow.js",
      "plain.mjs",
    ],
  };
  const storeOf = (module: string) => module.replace(/[/.]/g, "-");
  const [tsx, node] = await Promise.all([
    runProcess({
      command: bin("tsx"),
      args: [child, packageDir, ...runs.tsx.map((m) => `${m}=stores/tsx-${storeOf(m)}`)],
      cwd: dir,
      killAfterMs,
    }),
    runProcess({
      command: process.execPath,
      args: [child, packageDir, ...runs.node.map((m) => `${m}=stores/node-${storeOf(m)}`)],
      cwd: dir,
      killAfterMs,
    }),
  ]);
  expectDone(tsx, "the tsx run");
  expectDone(node, "the node run");
  for (const [runtime, modules] of Object.entries(runs)) {
    for (const module of modules) {
      const name = `${runtime} ${module}`;
      const { templates } = await readFileStore(join(dir, "stores", `${runtime}-${storeOf(module)}`));
      expect(templates, name).toHaveLength(1);
      const { template } = templates[0]!;
      stores.set(name, { nodes: new Map(template.nodes.map((n) => [n.name, n])), graphVersion: template.graphVersion });
    }
  }
}, 300_000);

afterAll(() => (dir === undefined ? undefined : rm(dir, { recursive: true, force: true })));

describe("template node sources, in real processes", () => {
  it.each([
    ["tsx", "tsx dataflow.ts"],
    ["tsc with source maps, run with node", "node dist/dataflow.js"],
    ["bundled by esbuild, run with node", "node bundle/dataflow.js"],
    ["bundled and minified by esbuild, run with node", "node bundle/dataflow.min.js"],
  ])("%s: each node shows its TypeScript text with comments, its file and line", (_, name) => {
    const { nodes } = store(name);
    for (const [node, expected] of Object.entries(EXPECTED)) {
      expect(nodes.get(node), `${name}: ${node}`).toMatchObject({
        ...expected,
        sourceFile: "dataflow.ts",
        sourceMapped: true,
      });
    }
    // An input has no source and no place.
    const topic = nodes.get("topic")!;
    expect(topic.source).toBe("");
    expect([topic.sourceFile, topic.sourceLine, topic.sourceMapped]).toEqual([undefined, undefined, undefined]);
  });

  it("gives the tsx run and the compiled runs (tsc, esbuild) the same node versions and graph version", () => {
    const tsx = store("tsx dataflow.ts");
    for (const compiled of ["node dist/dataflow.js", "node bundle/dataflow.js", "node bundle/dataflow.min.js"]) {
      const node = store(compiled);
      for (const name of Object.keys(EXPECTED)) {
        expect(node.nodes.get(name)!.version, `${compiled}: ${name}`).toBe(tsx.nodes.get(name)!.version);
      }
      expect(node.graphVersion, compiled).toBe(tsx.graphVersion);
    }
  });

  it("keeps every version through a comment-only edit, under tsx and under tsc", () => {
    for (const [before, after] of [
      ["tsx dataflow.ts", "tsx commented.ts"],
      ["node dist/dataflow.js", "node dist/commented.js"],
    ] as const) {
      const a = store(before);
      const b = store(after);
      expect(b.nodes.get("prompt")!.source, after).toContain("another comment, longer");
      for (const name of Object.keys(EXPECTED))
        expect(b.nodes.get(name)!.version, `${after}: ${name}`).toBe(a.nodes.get(name)!.version);
      expect(b.graphVersion, after).toBe(a.graphVersion);
    }
  });

  it("changes the edited node's version (and the graph's), and only that node's", () => {
    const a = store("tsx dataflow.ts");
    const b = store("tsx edited.ts");
    expect(b.nodes.get("prompt")!.source).toContain("${6000}");
    expect(b.nodes.get("prompt")!.version).not.toBe(a.nodes.get("prompt")!.version);
    for (const name of ["length", "shout", "summary"])
      expect(b.nodes.get(name)!.version, name).toBe(a.nodes.get(name)!.version);
    expect(b.graphVersion).not.toBe(a.graphVersion);
  });

  it("shows a plain .mjs module's own text and line", async () => {
    const { nodes } = store("node plain.mjs");
    const text = await readFile(join(fixtures, "plain.mjs"), "utf8");
    const prompt = text.slice(text.indexOf("function prompt"), text.indexOf("}\n") + 1);
    expect(prompt).toContain("// Ask for a long answer.");
    expect(nodes.get("prompt")).toMatchObject({
      source: prompt,
      sourceFile: "plain.mjs",
      sourceLine: 2,
      sourceMapped: true,
    });
    expect(nodes.get("length")).toMatchObject({
      source: "async ({ prompt }) => prompt.length",
      sourceFile: "plain.mjs",
      sourceLine: 7,
      sourceMapped: true,
    });
  });

  it("says sourceMapped: false and shows the compiled text where the source map is missing", async () => {
    const { nodes } = store("node nomap/dataflow.js");
    const compiled = await readFile(join(dir, "nomap", "dataflow.js"), "utf8");
    const line = compiled.split("\n").findIndex((l) => l.includes("function prompt")) + 1;
    const prompt = nodes.get("prompt")!;
    expect(prompt).toMatchObject({ sourceFile: "nomap/dataflow.js", sourceLine: line, sourceMapped: false });
    expect(compiled).toContain(prompt.source);
    expect(prompt.source).toMatch(/^function prompt\(\{ topic \}\) \{/);
    expect(prompt.source).not.toContain(": string");
  });
});
