// No file imports another workspace package's `test/` folder by relative path (CONTRIBUTING.md):
// what several packages' tests share lives in the private package `@hamilton-ts/testing`
// (packages/testing), imported by name. A relative import across packages ties one package's tests
// to another's folder layout and hides the dependency from the package graph (turbo, pnpm).
// Checks every .ts/.tsx/.mts/.cts/.js/.mjs/.cjs file of packages/*, apps/* and bench (not
// node_modules, dist): each relative specifier of `from "…"`, `import "…"`, `import("…")`,
// `require("…")` and `vi.mock("…")` is resolved against the file; a target inside another
// package's `test/` folder is a problem. Usage: `node scripts/check-test-imports.mjs` from anywhere;
// exit code 1 on a problem, each printed as `file:line: …` with the fix.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const SKIP = new Set(["node_modules", "dist", "dist-web", ".turbo", "coverage", "results"]);
const SPECIFIERS = [
  /\bfrom\s*["']([^"'\n]+)["']/g,
  /\bimport\s*["']([^"'\n]+)["']/g,
  /\bimport\s*\(\s*["']([^"'\n]+)["']\s*\)/g,
  /\brequire\s*\(\s*["']([^"'\n]+)["']\s*\)/g,
  /\bvi\.mock\s*\(\s*["']([^"'\n]+)["']/g,
];

/** The workspace's package folders (packages/*, apps/*, bench), absolute. */
function packageDirs() {
  const dirs = [];
  for (const group of ["packages", "apps"]) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) {
      if (existsSync(join(base, name, "package.json"))) dirs.push(join(base, name));
    }
  }
  if (existsSync(join(root, "bench", "package.json"))) dirs.push(join(root, "bench"));
  return dirs;
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name) || name.startsWith(".")) return [];
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : SOURCE.test(name) ? [path] : [];
  });
}

const packages = packageDirs();
const ownerOf = (path) => packages.find((dir) => path === dir || path.startsWith(dir + sep));
const problems = [];

for (const dir of packages) {
  for (const file of walk(dir)) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((line, index) => {
      for (const pattern of SPECIFIERS) {
        for (const match of line.matchAll(pattern)) {
          const specifier = match[1];
          if (!specifier.startsWith(".")) continue;
          const target = resolve(dirname(file), specifier);
          const owner = ownerOf(target);
          if (owner === undefined || owner === dir) continue;
          if (!relative(owner, target).split(sep).includes("test")) continue;
          problems.push(
            `${relative(root, file)}:${index + 1}: imports ${specifier}, in ${relative(root, owner)}'s test folder; ` +
              `move what is shared to packages/testing and import it from "@hamilton-ts/testing" ` +
              `(a devDependency "workspace:^"), or keep it in this package.`,
          );
        }
      }
    });
  }
}

if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(
    `\ncheck-test-imports: ${problems.length} import${problems.length === 1 ? "" : "s"} of another package's test folder`,
  );
  process.exit(1);
}
console.log(`check-test-imports: no test folder imported across ${packages.length} packages`);
