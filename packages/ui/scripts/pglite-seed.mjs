/**
 * Makes `dist-seed/pglite.tar.gz`: an initialised, empty PGlite data directory (PostgreSQL's
 * initdb, run once in WASM). A new store's embedded index starts from it in about a second
 * instead of running initdb at every first start (7–45 s, and a peak of ~900 MB). It depends only
 * on the installed PGlite: `dist-seed/pglite.version` says which made it, and a different one makes
 * it again. Run by `pnpm build` (shipped in the package) and by the tests' global setup.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const folder = join(root, "dist-seed");
const seed = join(folder, "pglite.tar.gz");
const versionFile = join(folder, "pglite.version");

function installedVersion() {
  const require = createRequire(join(root, "package.json"));
  const manifest = join(require.resolve("@electric-sql/pglite").split("/dist/")[0], "package.json");
  return JSON.parse(readFileSync(manifest, "utf8")).version;
}

/** @returns {Promise<void>} */
export default async function setup() {
  const version = installedVersion();
  if (existsSync(seed) && existsSync(versionFile) && readFileSync(versionFile, "utf8").trim() === version) return;
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create();
  const bytes = new Uint8Array(await (await db.dumpDataDir("gzip")).arrayBuffer());
  await db.close();
  mkdirSync(folder, { recursive: true });
  const tmp = `${seed}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, seed);
  writeFileSync(versionFile, `${version}\n`);
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await setup();
