// Checks the map in CONTRIBUTING.md ("The layout"): who may depend on whom, for every workspace
// package. `pnpm lint` runs it. Three rules:
//
// 1. A package's shipped code (`src/**` and `web/**` without tests) imports only the workspace
//    packages its row below allows, and its package.json `dependencies`/`peerDependencies` name
//    only those. Tests and devDependencies may use more (a tracker test runs core), never an app.
// 2. No file imports another workspace folder by relative path (`../../tracker/test/x.js`): shared
//    test helpers live in the private `@hamilton-ts/testing` package, imported by name.
// 3. Every workspace package has a row here and is named in CONTRIBUTING.md's map, so a new
//    package cannot arrive without its place in the house being decided.
//
// Usage: `node scripts/check-imports.mjs`; exit code 1 with one line per problem.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { root } from "./lib/packages.mjs";

/**
 * What each workspace package's shipped code may import, by folder. Keep in step with the table in
 * CONTRIBUTING.md (the check below fails when a folder is missing there).
 * `"*"`: anything in the workspace except the apps.
 */
export const MAY_IMPORT = {
  "packages/lifecycle": [],
  "packages/store": [],
  "packages/core": ["packages/lifecycle"],
  "packages/opentelemetry": ["packages/lifecycle"],
  "packages/tracker": ["packages/lifecycle", "packages/store"],
  "packages/otlp-file": ["packages/lifecycle", "packages/store"],
  "packages/local-openai": ["packages/lifecycle"],
  "packages/ui": ["packages/lifecycle", "packages/store", "packages/tracker"],
  "packages/bullmq": ["packages/core", "packages/lifecycle"],
  "packages/cache-redis": ["packages/lifecycle"],
  "packages/testing": "*",
  "apps/demo": "*",
  bench: "*",
};

function workspaceFolders() {
  const out = [];
  for (const base of ["packages", "apps"]) {
    for (const entry of readdirSync(join(root, base)).sort()) {
      if (existsSync(join(root, base, entry, "package.json"))) out.push(`${base}/${entry}`);
    }
  }
  if (existsSync(join(root, "bench", "package.json"))) out.push("bench");
  return out;
}

const folders = workspaceFolders();
const nameToFolder = new Map();
for (const folder of folders) {
  nameToFolder.set(JSON.parse(readFileSync(join(root, folder, "package.json"), "utf8")).name, folder);
}

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name.startsWith("dist") || name.startsWith(".")) return [];
    if (statSync(path).isDirectory()) return walk(path);
    return /\.(ts|tsx|mts|mjs|js)$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

const isTest = (rel) => /\.test(-d)?\.ts$/.test(rel) || /(^|\/)(test|fixtures)\//.test(rel);
const problems = [];
const contributing = readFileSync(join(root, "CONTRIBUTING.md"), "utf8");
const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["']([^"']+)["']/g;

for (const folder of folders) {
  const allowed = MAY_IMPORT[folder];
  if (allowed === undefined) {
    problems.push(
      `${folder}: a workspace package with no place in the map; add it to MAY_IMPORT in scripts/check-imports.mjs and to "The layout" in CONTRIBUTING.md.`,
    );
    continue;
  }
  if (!contributing.includes(`\`${folder}\``)) {
    problems.push(
      `${folder}: not named in CONTRIBUTING.md's layout table; add a row saying what it owns and may import.`,
    );
  }
  const pkg = JSON.parse(readFileSync(join(root, folder, "package.json"), "utf8"));
  const mayUse = (target) =>
    target !== folder && (allowed === "*" ? !target.startsWith("apps/") : allowed.includes(target));

  for (const field of ["dependencies", "peerDependencies"]) {
    for (const name of Object.keys(pkg[field] ?? {})) {
      const target = nameToFolder.get(name);
      if (target !== undefined && !mayUse(target)) {
        problems.push(
          `${folder}/package.json: ${field} names ${name} (${target}), which ${folder} may not depend on (CONTRIBUTING.md, "The layout").`,
        );
      }
    }
  }

  const files = [
    ...walk(join(root, folder, "src")),
    ...walk(join(root, folder, "web")),
    ...walk(join(root, folder, "test")),
  ];
  for (const file of files) {
    const rel = relative(join(root, folder), file).split(sep).join("/");
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(specifier)) {
      const spec = match[1];
      const line = text.slice(0, match.index).split("\n").length;
      const at = `${folder}/${rel}:${line}`;
      if (spec.startsWith(".")) {
        const target = relative(root, resolve(dirname(file), spec))
          .split(sep)
          .join("/");
        const owner = folders.find((f) => target === f || target.startsWith(`${f}/`));
        if (owner !== undefined && owner !== folder) {
          problems.push(
            `${at}: imports ${spec}, a file of ${owner}, by relative path; import the package by name (shared test helpers: @hamilton-ts/testing).`,
          );
        }
        continue;
      }
      const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
      const target = nameToFolder.get(name);
      if (target === undefined || target === folder) continue;
      if (target.startsWith("apps/")) {
        problems.push(`${at}: imports ${name}, an app; nothing imports an app.`);
      } else if (!isTest(rel) && !mayUse(target)) {
        problems.push(
          `${at}: imports ${name}; ${folder} may import only ${allowed === "*" ? "packages" : allowed.join(", ") || "nothing of the workspace"} (CONTRIBUTING.md, "The layout").`,
        );
      }
    }
  }
}

if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(
    `\n${problems.length} import problem${problems.length === 1 ? "" : "s"}: the map in CONTRIBUTING.md says who may depend on whom.`,
  );
  process.exit(1);
}
console.log(`check-imports: ${folders.length} workspace packages keep the map`);
