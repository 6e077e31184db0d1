// Lints the package in the current directory for the project's own rules (CONTRIBUTING.md), which
// neither Biome nor the type-checker covers:
// - `src/index.ts` names its exports (no `export *`);
// - tests are never skipped or focused (`.skip`, `.only`, `.todo`, `xit`, `xdescribe`);
// - library code does not print with console.log (warnings go through console.warn or callbacks).
// Unused locals and parameters are compiler errors already (tsconfig.base.json).
import { readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = process.cwd();
const isLibrary = root.includes(`${join("packages", "")}`);
const problems = [];

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name === "dist") return [];
    return statSync(path).isDirectory() ? walk(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const files = [...walk(join(root, "src")), ...walk(join(root, "test"))];
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const where = relative(root, file);
  const isTest = /\.test(-d)?\.ts$/.test(file) || where.startsWith("test");
  text.split("\n").forEach((line, i) => {
    const at = `${where}:${i + 1}`;
    if (/^\s*export \* from /.test(line) && where === join("src", "index.ts")) {
      problems.push(`${at}: index.ts re-exports everything with "export *"; name each public export instead.`);
    }
    if (isTest && /\b(it|test|describe)\.(skip|only|todo)\b|\b(xit|xdescribe)\(/.test(line)) {
      problems.push(`${at}: a skipped, focused or todo test; every test must run (delete it or make it pass).`);
    }
    if (isLibrary && !isTest && /^\s*console\.log\(/.test(line)) {
      problems.push(`${at}: console.log in library code; report through console.warn, a callback or a return value.`);
    }
  });
}
if (existsSync(join(root, "src", "index.ts")) === false && isLibrary) {
  problems.push("src/index.ts is missing: every package has a curated entry point.");
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(
    `\n${problems.length} lint problem${problems.length === 1 ? "" : "s"} in ${JSON.parse(readFileSync(join(root, "package.json"), "utf8")).name}`,
  );
  process.exit(1);
}
console.log(`lint: ${files.length} files clean`);
