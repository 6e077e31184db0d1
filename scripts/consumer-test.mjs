// Consumer test (see the "Releasing" section of README.md): installs the packages the way a user
// does and uses them from outside the workspace.
//   1. `pnpm pack` every published package (workspace:^ ranges become real ones) into a temporary
//      directory under os.tmpdir().
//   2. A temporary npm project there (no pnpm, no workspace, no source condition) installs the
//      tarballs plus @opentelemetry/api, the SDK, TypeScript and @types/node from the registry, and
//      checks the tree holds one copy of each @hamilton-ts package and of @opentelemetry/api.
//   3. Runs scripts/consumer/app.mjs: a dataflow with both adapters (OTel SDK with an in-memory
//      exporter; HamiltonTracker with a FileSink), checking results, spans and FileSink records.
//      Then scripts/consumer/ui.mjs runs `npx hamilton-ts-ui` over that store (runs list, read
//      API, the page and its script, a clean stop on SIGINT).
//   4. Type-checks scripts/consumer/types.ts with tsc (NodeNext, strict, skipLibCheck off).
//   5. The @opentelemetry/api floor: a second project with the lowest api version allowed by
//      @hamilton-ts/opentelemetry's peer range runs scripts/consumer/api-floor.mjs and type-checks
//      api-floor.ts, so the peer range cannot claim versions the tracer does not work with.
// Usage: `pnpm build && node scripts/consumer-test.mjs [--keep]` (CI runs it from .ci/run; --keep
// leaves the temporary directory for inspection). Needs the npm registry. Exit code 1 on failure.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { assertBuilt, packAll, publishablePackages, root, run } from "./lib/packages.mjs";

/**
 * The version of `name` installed in the workspace, resolved from the package directory `from`
 * (so a catalog bump is what the consumer tests too, with no second list of versions here).
 */
function installedVersion(name, from) {
  const require = createRequire(join(root, from, "package.json"));
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")).version;
  } catch {
    // package.json not exported: walk up from the package's entry point.
  }
  let dir = dirname(require.resolve(name));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, "utf8"));
      if (pkg.name === name) return pkg.version;
    }
    const up = dirname(dir);
    if (up === dir)
      throw new Error(`consumer-test: cannot find the installed version of ${name} (from ${from}); run pnpm install.`);
    dir = up;
  }
}

const typescript = `typescript@${installedVersion("typescript", ".")}`;
const typesNode = `@types/node@${installedVersion("@types/node", ".").split(".")[0]}`;
// What the consumer installs from the registry next to the tarballs: the versions the workspace uses.
const REGISTRY_DEPS = [
  `@opentelemetry/api@${installedVersion("@opentelemetry/api", "packages/opentelemetry")}`,
  `@opentelemetry/sdk-trace-base@${installedVersion("@opentelemetry/sdk-trace-base", "packages/opentelemetry")}`,
  `@opentelemetry/context-async-hooks@${installedVersion(
    "@opentelemetry/context-async-hooks",
    relative(
      root,
      dirname(
        createRequire(join(root, "packages/opentelemetry/package.json")).resolve("@opentelemetry/sdk-trace-node"),
      ),
    ),
  )}`,
  typescript,
  typesNode,
];
const keep = process.argv.includes("--keep");
const fixtures = join(root, "scripts", "consumer");
const started = Date.now();
const step = (message) => console.log(`[consumer-test ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

function npmProject(dir, name) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name, version: "1.0.0", private: true, type: "module" }, null, 2)}\n`,
  );
}

function npmInstall(dir, specs) {
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--save-exact", ...specs], { cwd: dir });
}

/** Every installed copy of `name` (package.json paths) in a node_modules tree. */
function copiesOf(nodeModules, name) {
  const found = [];
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    if (existsSync(join(dir, name, "package.json"))) found.push(relative(nodeModules, join(dir, name)));
    for (const entry of readdirSync(dir)) {
      const scoped = entry.startsWith("@") ? readdirSync(join(dir, entry)).map((e) => join(entry, e)) : [entry];
      for (const pkg of scoped) walk(join(dir, pkg, "node_modules"));
    }
  };
  walk(nodeModules);
  return found;
}

const packages = publishablePackages();
const work = mkdtempSync(join(tmpdir(), "hamilton-ts-consumer-"));
let failed = false;
try {
  assertBuilt(packages);
  if (!relative(root, work).startsWith(".."))
    throw new Error(
      `the temporary directory ${work} is inside the workspace ${root}; set TMPDIR to a directory outside it.`,
    );
  step(`packing ${packages.length} packages into ${work}`);
  const packed = packAll(packages, join(work, "packs"));
  for (const p of packed) {
    const internal = Object.entries({ ...p.manifest.dependencies, ...p.manifest.peerDependencies }).map(
      ([dep, range]) => `${dep}@${range}`,
    );
    step(`  ${relative(work, p.tarball)}${internal.length ? `  (${internal.join(", ")})` : ""}`);
    const leftover = internal.filter((d) => /@(workspace|catalog):/.test(d));
    if (leftover.length > 0)
      throw new Error(
        `${p.name}'s packed package.json still has ${leftover.join(", ")}: the tarball is not installable outside the workspace.`,
      );
  }

  // 2-4. The full consumer: every package, both adapters, the SDK.
  const project = join(work, "project");
  npmProject(project, "hamilton-ts-consumer");
  for (const file of ["app.mjs", "ui.mjs", "types.ts", "tsconfig.json"])
    copyFileSync(join(fixtures, file), join(project, file));
  step(`npm install of the tarballs + ${REGISTRY_DEPS.join(" ")}`);
  npmInstall(project, [...packed.map((p) => p.tarball), ...REGISTRY_DEPS]);
  const nodeModules = join(project, "node_modules");
  for (const name of [...packed.map((p) => p.name), "@opentelemetry/api"]) {
    const copies = copiesOf(nodeModules, name);
    if (copies.length !== 1)
      throw new Error(
        `expected one installed copy of ${name}, found ${copies.length}: ${copies.join(", ") || "none"}. Internal ranges or peer ranges do not match the packed versions.`,
      );
  }
  for (const p of packed) {
    const installed = JSON.parse(readFileSync(join(nodeModules, p.name, "package.json"), "utf8")).version;
    if (installed !== p.version)
      throw new Error(
        `${p.name}@${installed} was installed instead of the packed ${p.version} (fetched from the registry?).`,
      );
  }
  step("one copy of each @hamilton-ts package and of @opentelemetry/api, all from the tarballs");
  step("running app.mjs (dataflow with OpenTelemetryTracer + HamiltonTracker/FileSink)");
  console.log(run("node", ["app.mjs", join(work, "store")], { cwd: project }).trim());
  step("running ui.mjs (npx hamilton-ts-ui over that store: runs, the read API, the page)");
  console.log(run("node", ["ui.mjs", join(work, "store")], { cwd: project }).trim());
  step("type-checking types.ts (tsc --noEmit, NodeNext, strict, skipLibCheck false)");
  run(join(nodeModules, ".bin", "tsc"), ["-p", "tsconfig.json"], { cwd: project });
  step("types.ts: ok");

  // 5. The lowest @opentelemetry/api the tracer's peer range allows.
  const otel = packed.find((p) => p.name === "@hamilton-ts/opentelemetry");
  const peer = otel?.manifest.peerDependencies?.["@opentelemetry/api"];
  const floor = peer?.match(/^[\^~]?(\d+\.\d+\.\d+)$/)?.[1];
  if (!floor)
    throw new Error(
      `@hamilton-ts/opentelemetry's peer range for @opentelemetry/api is ${JSON.stringify(peer)}; expected a single ^x.y.z range to test its floor.`,
    );
  const floorProject = join(work, "api-floor");
  npmProject(floorProject, "hamilton-ts-api-floor");
  for (const file of ["api-floor.mjs", "api-floor.ts"]) copyFileSync(join(fixtures, file), join(floorProject, file));
  writeFileSync(
    join(floorProject, "tsconfig.json"),
    readFileSync(join(fixtures, "tsconfig.json"), "utf8").replace('"types.ts"', '"api-floor.ts"'),
  );
  const floorPackages = packed.filter((p) =>
    ["@hamilton-ts/lifecycle", "@hamilton-ts/core", "@hamilton-ts/opentelemetry"].includes(p.name),
  );
  step(`api floor: npm install with @opentelemetry/api@${floor} (peer range ${peer})`);
  npmInstall(floorProject, [
    ...floorPackages.map((p) => p.tarball),
    `@opentelemetry/api@${floor}`,
    typescript,
    typesNode,
  ]);
  console.log(run("node", ["api-floor.mjs"], { cwd: floorProject }).trim());
  run(join(floorProject, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], { cwd: floorProject });
  step(`api floor: api-floor.ts type-checks against @opentelemetry/api ${floor}`);
} catch (error) {
  failed = true;
  console.error(`consumer-test FAILED: ${error.message}`);
} finally {
  if (keep || failed) console.log(`consumer-test: kept ${work} for inspection`);
  else rmSync(work, { recursive: true, force: true });
}
if (failed) process.exit(1);
step("consumer-test: ok");
