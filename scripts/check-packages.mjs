// Checks every published package exactly as it would be published (see the "Releasing" section of
// README.md): `pnpm pack`s each built package into a temporary directory, then checks the tarball:
//   - publint --strict (through its API, on the tarball itself);
//   - @arethetypeswrong/cli with the ESM-only profile (`attw <tarball> --profile esm-only`): the
//     tarball comes from `pnpm pack`, not `attw --pack` (which runs `npm pack` and would leave
//     `workspace:`/`catalog:` ranges in the manifest it shows);
//   - the packed package.json: no `workspace:`/`catalog:` left, internal ranges are `^<version>` of
//     the package packed beside it, `type: module`, `sideEffects: false`, `engines.node`, a license,
//     an `exports` map whose entries (".", and subpaths like "./internal") have `types` before `default`;
//   - the packed files: README.md, LICENSE, dist/index.js + .d.ts; every dist/*.js has its .d.ts,
//     its source map and its src/*.ts (catches stale output such as a deleted module's dist file);
//     no tests or fixtures;
//   - every bare import in dist/*.js and dist/*.d.ts is declared in dependencies or
//     peerDependencies (or is a Node built-in).
// Usage: `pnpm build && pnpm check:packages` (CI runs it from .ci/run). Exit code 1 on any problem.
import { builtinModules } from "node:module";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { assertBuilt, packAll, publishablePackages, root, run } from "./lib/packages.mjs";

/** The Node versions CI tests (.ci/run: this machine's, then 22 and 24): the root package.json's engines. */
const SUPPORTED_NODE = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).engines.node;

const DEP_FIELDS = ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"];
const builtins = new Set(builtinModules);

/** The package a bare specifier names (`@scope/name/sub` -> `@scope/name`, `acorn/x` -> `acorn`). */
function packageOf(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Bare module specifiers imported or re-exported by a .js or .d.ts file. */
function bareImports(text) {
  const found = new Set();
  const patterns = [
    /\bfrom\s*["']([^"'\n]+)["']/g, // import x from "m", export { x } from "m", import type ... from "m"
    /\bimport\s*["']([^"'\n]+)["']/g, // import "m"
    /\bimport\s*\(\s*["']([^"'\n]+)["']\s*\)/g, // import("m") in code or in declaration files
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1];
      if (!specifier.startsWith(".") && !specifier.startsWith("/")) found.add(specifier);
    }
  }
  return found;
}

function checkManifest(packed, versions) {
  const problems = [];
  const m = packed.manifest;
  for (const field of DEP_FIELDS) {
    for (const [dep, range] of Object.entries(m[field] ?? {})) {
      if (/^(workspace|catalog):/.test(range))
        problems.push(
          `${field}.${dep} is still "${range}" in the tarball: pack with pnpm (pnpm pack / changeset publish), not npm.`,
        );
      if (field !== "devDependencies" && versions.has(dep) && range !== `^${versions.get(dep)}`) {
        problems.push(
          `${field}.${dep} is "${range}" but the ${dep} packed beside it is ${versions.get(dep)}: declare it as "workspace:^" so it becomes "^${versions.get(dep)}".`,
        );
      }
    }
  }
  if (m.type !== "module")
    problems.push(`"type" is ${JSON.stringify(m.type)}; these packages are ESM only: set "type": "module".`);
  if (m.sideEffects !== false)
    problems.push(
      `"sideEffects" is ${JSON.stringify(m.sideEffects)}; set it to false (no module has side effects on import).`,
    );
  if (m.engines?.node !== SUPPORTED_NODE)
    problems.push(
      `"engines.node" is ${JSON.stringify(m.engines?.node)}; declare the Node versions CI tests, as the workspace's package.json does (${JSON.stringify(SUPPORTED_NODE)}).`,
    );
  if (typeof m.license !== "string") problems.push(`no "license": set "Apache-2.0" like the workspace.`);
  const dot = m.exports?.["."];
  if (typeof dot !== "object" || dot === null) {
    problems.push(`no "exports"["."] object: add { "types": "./dist/index.d.ts", "default": "./dist/index.js" }.`);
  } else {
    // Every conditional entry (".", and subpaths such as "./internal") declares types before default.
    for (const [subpath, entry] of Object.entries(m.exports)) {
      if (typeof entry !== "object" || entry === null) continue;
      const keys = Object.keys(entry);
      if (!keys.includes("types") || !keys.includes("default") || keys.indexOf("types") > keys.indexOf("default")) {
        problems.push(`"exports"["${subpath}"] must have "types" before "default" (has ${keys.join(", ")}).`);
      }
    }
  }
  if (m.name.startsWith("@") && m.publishConfig?.access !== "public") {
    problems.push(
      `no "publishConfig": { "access": "public" }: a scoped package is published private (and fails without a paid plan) otherwise.`,
    );
  }
  return problems;
}

function checkFiles(packed) {
  const problems = [];
  const files = new Set(packed.files);
  for (const required of ["README.md", "LICENSE", "package.json", "dist/index.js", "dist/index.d.ts"]) {
    if (!files.has(required))
      problems.push(
        `the tarball has no ${required}${required === "LICENSE" ? " (copy the root LICENSE into the package)" : ""}.`,
      );
  }
  for (const file of files) {
    const js = file.match(/^dist\/(.+)\.js$/);
    if (js && files.has("src/index.ts") && !files.has(`src/${js[1]}.ts`)) {
      problems.push(
        `${file} has no src/${js[1]}.ts in the tarball: stale build output (tsc -b keeps the output of removed or excluded modules). Run \`pnpm clean:build && pnpm build\`.`,
      );
    } else if (/\.test(-d)?\.(ts|js)$|\.test\.d\.ts$|(^|\/)fixtures\//.test(file)) {
      problems.push(
        `the tarball contains ${file}: tests and fixtures are not published; exclude them in "files" and in tsconfig.json.`,
      );
    }
    if (!js) continue;
    for (const companion of [`dist/${js[1]}.d.ts`, `dist/${js[1]}.js.map`]) {
      if (!files.has(companion)) problems.push(`${file} has no ${companion} in the tarball.`);
    }
  }
  return problems;
}

function checkImports(packed) {
  const problems = [];
  const m = packed.manifest;
  const declared = new Set([m.name, ...Object.keys(m.dependencies ?? {}), ...Object.keys(m.peerDependencies ?? {})]);
  for (const file of packed.files) {
    if (!/^dist\/.+(\.js|\.d\.ts)$/.test(file)) continue;
    for (const specifier of bareImports(readFileSync(join(packed.unpacked, file), "utf8"))) {
      if (specifier.startsWith("node:") || builtins.has(specifier)) continue;
      const name = packageOf(specifier);
      if (!declared.has(name)) {
        const where = m.devDependencies?.[name] ? ` (it is only a devDependency)` : "";
        problems.push(
          `${file} imports "${specifier}" but ${name} is not in dependencies or peerDependencies${where}: consumers would not get it installed.`,
        );
      }
    }
  }
  return problems;
}

async function runPublint(packed) {
  const data = readFileSync(packed.tarball);
  const tarball = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const { messages, pkg } = await publint({ pack: { tarball }, strict: true, level: "suggestion" });
  return messages.map(
    (message) => `publint ${message.type}: ${formatMessage(message, pkg, { color: false }) ?? message.code}`,
  );
}

function runAttw(packed) {
  try {
    run(
      join(root, "node_modules", ".bin", "attw"),
      [packed.tarball, "--profile", "esm-only", "--format", "ascii", "--no-color", "--no-emoji"],
      { cwd: root },
    );
    return [];
  } catch (error) {
    return [`attw --profile esm-only found problems:\n${String(error.message).split("\n").slice(1).join("\n")}`];
  }
}

const packages = publishablePackages();
const dest = mkdtempSync(join(tmpdir(), "hamilton-ts-check-"));
let failed = 0;
let crashed = false;
try {
  assertBuilt(packages);
  const packedAll = packAll(packages, dest);
  const versions = new Map(packedAll.map((p) => [p.name, p.version]));
  for (const packed of packedAll) {
    const problems = [
      ...checkManifest(packed, versions),
      ...checkFiles(packed),
      ...checkImports(packed),
      ...(await runPublint(packed)),
      ...runAttw(packed),
    ];
    if (problems.length === 0) {
      console.log(
        `ok   ${packed.name}@${packed.version}: ${packed.files.length} files; publint --strict, attw (esm-only), manifest, files, imports clean`,
      );
    } else {
      failed++;
      console.log(`FAIL ${packed.name}@${packed.version} (${packed.rel}):`);
      for (const problem of problems) console.log(`  - ${problem.replace(/\n/g, "\n    ")}`);
    }
  }
} catch (error) {
  console.error(`check-packages FAILED: ${error.message}`);
  crashed = true;
} finally {
  rmSync(dest, { recursive: true, force: true });
}
if (crashed) process.exit(1);
if (failed > 0) {
  console.error(`check-packages: ${failed} of ${packages.length} packages have packaging problems (listed above).`);
  process.exit(1);
}
console.log(`check-packages: all ${packages.length} packages are clean.`);
