// Shared by scripts/check-packages.mjs, scripts/consumer-test.mjs and scripts/check-changesets.mjs:
// which workspace packages are published, and how to pack them exactly as `changeset publish`
// (which runs `pnpm publish`) would: `workspace:^` and `catalog:` become real ranges.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The workspace root (this file is scripts/lib/packages.mjs). */
export const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/**
 * The published packages: every `packages/*` whose package.json is not `"private": true`
 * (`apps/*` and `bench` are private).
 * @returns {{ name: string, version: string, dir: string, rel: string, pkg: any }[]}
 */
export function publishablePackages() {
  const base = join(root, "packages");
  const out = [];
  for (const entry of readdirSync(base).sort()) {
    const file = join(base, entry, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8"));
    if (pkg.private) continue;
    out.push({ name: pkg.name, version: pkg.version, dir: join(base, entry), rel: `packages/${entry}`, pkg });
  }
  return out;
}

/** Runs a command, returning stdout; on failure throws with the command, its exit code and stderr. */
export function run(command, args, options = {}) {
  try {
    return execFileSync(command, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 << 20,
      ...options,
    });
  } catch (error) {
    const where = options.cwd ? ` (in ${options.cwd})` : "";
    const output = [error.stdout, error.stderr].filter(Boolean).join("\n").trim();
    throw new Error(
      `\`${command} ${args.join(" ")}\`${where} failed with exit code ${error.status ?? "?"}${output ? `:\n${output}` : ""}`,
    );
  }
}

/**
 * Fails early, with what to do, when a package has not been built: packing it would publish
 * (or test) an empty or stale `dist/`.
 */
export function assertBuilt(packages) {
  const unbuilt = packages.filter((p) => !existsSync(join(p.dir, "dist", "index.js")));
  if (unbuilt.length > 0) {
    throw new Error(
      `Not built: ${unbuilt.map((p) => p.rel).join(", ")} has no dist/index.js. Run \`pnpm build\` at the workspace root first.`,
    );
  }
}

/**
 * `pnpm pack`s every package into `dest`/<tarball> and unpacks each into `dest`/unpacked/<dir>/
 * for inspection.
 * @returns {{ name: string, version: string, rel: string, tarball: string, unpacked: string, files: string[], manifest: any }[]}
 */
export function packAll(packages, dest) {
  mkdirSync(join(dest, "unpacked"), { recursive: true });
  return packages.map((p) => {
    const info = JSON.parse(run("pnpm", ["pack", "--pack-destination", dest, "--json"], { cwd: p.dir }));
    const unpacked = join(dest, "unpacked", p.rel.replace(/^packages\//, ""));
    mkdirSync(unpacked, { recursive: true });
    run("tar", ["-xzf", info.filename, "-C", unpacked, "--strip-components=1"]);
    const manifest = JSON.parse(readFileSync(join(unpacked, "package.json"), "utf8"));
    return {
      name: p.name,
      version: p.version,
      rel: p.rel,
      tarball: info.filename,
      unpacked,
      files: info.files.map((f) => f.path).sort(),
      manifest,
    };
  });
}
