// Every change to a published package comes with a changeset (see the "Releasing" section of
// README.md). Two checks:
//
// 1. Always: the pending changesets (.changeset/*.md) are valid (known package names, bump types),
//    and a package that was never released (version 0.0.0) gets a minor bump from them, so the
//    first `pnpm version-packages` makes every package 0.1.0 (not 0.0.1 through a dependency bump).
//
// 2. When there is a base to compare with: each published package changed since the merge base
//    with the base ref is named in a changeset added or edited since then. The base is
//    $CHANGESET_BASE if set, else `origin/main` if that ref exists; otherwise (e.g. a clone without
//    an `origin` remote) this check is skipped with a message. On main itself (HEAD is the merge
//    base) there is nothing to compare. The diff is from the merge base to the working tree, plus
//    untracked files, so it also works locally before committing.
//    What counts as a change: files under the package that match `changedFilePatterns` in
//    .changeset/config.json (non-test src, tsconfig.json, package.json), where a package.json change
//    counts only if something besides `version`, `scripts` and `devDependencies` changed. README
//    and test changes need no release. A package whose CHANGELOG.md changed is being released by
//    this change (`pnpm version-packages` output), and an empty changeset (`pnpm changeset --empty`)
//    states that the change needs no release.
//
// `changeset status --since=<ref>` runs on Node 20 with @changesets/cli 2.31 but only fails when
// there are changed packages and no changeset at all; this script checks per package, with the
// release planner the CLI itself uses.
//
// With --release (`pnpm release` runs it so), it instead checks that the versions are ready to
// publish: no pending changesets (run `pnpm version-packages` and commit first) and no package
// still at 0.0.0 — `changeset publish` publishes any version not yet on npm, 0.0.0 included.
//
// Usage: `node scripts/check-changesets.mjs [--release]` (CI runs it from .ci/run without
// --release). Exit code 1 on a problem.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { publishablePackages, root } from "./lib/packages.mjs";

// The release planner of the installed @changesets/cli, resolved from the CLI so it is exactly
// the one `changeset version` uses (no second copy to keep in step).
const fromCli = createRequire(createRequire(join(root, "package.json")).resolve("@changesets/cli/package.json"));
const getReleasePlanModule = fromCli("@changesets/get-release-plan");
const getReleasePlan = getReleasePlanModule.default ?? getReleasePlanModule;

const config = JSON.parse(readFileSync(join(root, ".changeset", "config.json"), "utf8"));
const packages = publishablePackages();
const problems = [];

function git(args) {
  try {
    return {
      ok: true,
      out: execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim(),
    };
  } catch (error) {
    return { ok: false, out: String(error.stderr ?? error.message).trim() };
  }
}

/**
 * Whether a package-relative file matches `changedFilePatterns`, decided exactly as changesets
 * decides it: `micromatch(files, patterns)` with the micromatch @changesets/git itself uses.
 */
const micromatch = createRequire(fromCli.resolve("@changesets/git"))("micromatch");
function matcher(patterns) {
  return (file) => micromatch([file], patterns).length > 0;
}

/** Whether package.json changed in a way a consumer sees (not only version, scripts, devDependencies). */
function manifestChanged(rel, mergeBase) {
  const before = git(["show", `${mergeBase}:${rel}/package.json`]);
  if (!before.ok) return true; // a new package
  const strip = (text) => {
    const { version, scripts, devDependencies, ...rest } = JSON.parse(text);
    return JSON.stringify(rest);
  };
  return strip(before.out) !== strip(readFileSync(join(root, rel, "package.json"), "utf8"));
}

// 1. The pending changesets, planned exactly as `changeset version` would.
let plan;
try {
  plan = await getReleasePlan(root);
} catch (error) {
  console.error(`check-changesets: the pending changesets in .changeset/ are invalid: ${error.message}`);
  process.exit(1);
}
if (process.argv.includes("--release")) {
  const pending = plan.changesets.map((c) => `.changeset/${c.id}.md`);
  if (pending.length > 0)
    problems.push(
      `pending changesets (${pending.join(", ")}): run \`pnpm version-packages\`, review and commit the versions and CHANGELOGs, then release.`,
    );
  for (const p of packages)
    if (p.version === "0.0.0")
      problems.push(`${p.name} is still 0.0.0: it has never been versioned; run \`pnpm version-packages\` first.`);
  for (const problem of problems) console.error(`check-changesets --release: ${problem}`);
  if (problems.length > 0) process.exit(1);
  console.log(
    `check-changesets --release: ok, no pending changesets; publishing ${packages.map((p) => `${p.name}@${p.version}`).join(", ")} where not yet on npm`,
  );
  process.exit(0);
}
for (const release of plan.releases) {
  if (release.type === "none") continue;
  const ids = release.changesets.length > 0 ? release.changesets.join(", ") : "a dependency's bump";
  console.log(`pending: ${release.name} ${release.oldVersion} -> ${release.newVersion} (${release.type}; ${ids})`);
}
if (plan.releases.length === 0) console.log("pending: no changesets (nothing to release)");
for (const p of packages) {
  if (p.version !== "0.0.0") continue;
  const release = plan.releases.find((r) => r.name === p.name);
  if (release?.newVersion !== "0.1.0") {
    const would = release && release.type !== "none" ? `would make it ${release.newVersion}` : "would not release it";
    const short = p.name.split("/").pop();
    problems.push(
      `${p.name} (${p.rel}) was never released (0.0.0) and the pending changesets ${would}; the first release of every package is 0.1.0. ` +
        `Add .changeset/${short}-initial.md with the frontmatter \`"${p.name}": minor\` and a summary of the package.`,
    );
  }
}

// 2. Per-change coverage against the merge base.
const base =
  process.env.CHANGESET_BASE || (git(["rev-parse", "--verify", "--quiet", "origin/main"]).ok ? "origin/main" : "");
if (!base) {
  console.log(
    "check-changesets: no base to compare with (no origin/main, CHANGESET_BASE unset): skipped the per-change check.",
  );
} else {
  const mergeBase = git(["merge-base", base, "HEAD"]);
  if (!mergeBase.ok) {
    problems.push(
      `cannot find the merge base of ${base} and HEAD (${mergeBase.out || "no common commit"}). In a shallow clone, fetch the history first (git fetch --unshallow, or fetch-depth: 0).`,
    );
  } else {
    const changed = new Set(
      [
        ...git(["diff", "--name-only", "--no-renames", mergeBase.out]).out.split("\n"),
        ...git(["ls-files", "--others", "--exclude-standard"]).out.split("\n"),
      ].filter(Boolean),
    );
    if (changed.size === 0) {
      console.log(`check-changesets: nothing changed since ${base} (${mergeBase.out.slice(0, 12)}): nothing to check.`);
    } else {
      const isReleaseFile = matcher(config.changedFilePatterns ?? ["**"]);
      const changedChangesets = new Set(
        [...changed]
          .filter(
            (f) => /^\.changeset\/[^/]+\.md$/.test(f) && f !== ".changeset/README.md" && existsSync(join(root, f)),
          )
          .map((f) => f.slice(".changeset/".length, -".md".length)),
      );
      const inDiff = plan.changesets.filter((c) => changedChangesets.has(c.id));
      const covered = new Set(inDiff.flatMap((c) => c.releases.map((r) => r.name)));
      const emptyChangeset = inDiff.find((c) => c.releases.length === 0);
      const missing = [];
      for (const p of packages) {
        const files = [...changed].filter((f) => f.startsWith(`${p.rel}/`)).map((f) => f.slice(p.rel.length + 1));
        if (files.includes("CHANGELOG.md")) continue; // released by this change (changeset version)
        const releaseFiles = files.filter(
          (f) => isReleaseFile(f) && (f !== "package.json" || manifestChanged(p.rel, mergeBase.out)),
        );
        if (releaseFiles.length > 0 && !covered.has(p.name)) missing.push({ p, releaseFiles });
      }
      if (missing.length > 0 && emptyChangeset) {
        console.log(
          `check-changesets: .changeset/${emptyChangeset.id}.md is an empty changeset: ${missing.map((m) => m.p.name).join(", ")} changed without a release, as declared.`,
        );
      } else if (missing.length > 0) {
        for (const { p, releaseFiles } of missing) {
          const list =
            releaseFiles.slice(0, 5).join(", ") + (releaseFiles.length > 5 ? `, … (${releaseFiles.length} files)` : "");
          problems.push(
            `${p.name} changed since ${base} (${list}) but no changeset added or edited since then names it. Run \`pnpm changeset\`, select ${p.name}, pick the bump and describe the change (or \`pnpm changeset --empty\` if it needs no release).`,
          );
        }
      } else {
        const n = [...covered].length;
        console.log(
          `check-changesets: every changed published package since ${base} has a changeset (${inDiff.length} changeset(s) in the diff, covering ${n} package(s)).`,
        );
      }
    }
  }
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`check-changesets: ${problem}`);
  process.exit(1);
}
console.log("check-changesets: ok");
