/**
 * Makes `dist-seed/pglite.tar.gz`: a PGlite data directory initialised (PostgreSQL's initdb, run
 * once in WASM) and migrated to this version's schema. A new store's embedded index starts from
 * it in about a second, with nothing to migrate, instead of running initdb (7–45 s, a peak of
 * ~900 MB) and every migration at its first start. It depends on the installed PGlite and on the
 * migrations: `dist-seed/pglite.version` names both, and a change to either makes it again. Run by
 * `pnpm build` after `tsc -b` (the migrations come from `dist/`; shipped in the package) and by
 * the tests' global setup (from `src/`, so no build is needed).
 */
import { createHash } from "node:crypto";
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

/** The migrations module: the sources under vitest (which compiles TypeScript), else the build. */
async function migrations() {
  return process.env.VITEST ? await import("../src/sql/migrations.ts") : await import("../dist/sql/migrations.js");
}

/**
 * The index's `SqlClient` over a PGlite in this thread (the seed is made once, by one process).
 * @param {import("@electric-sql/pglite").PGlite} db
 */
function sqlClient(db) {
  const client = {
    async query(text, values) {
      if (values === undefined || values.length === 0) {
        const results = await db.exec(text);
        return { rows: results.length === 0 ? [] : results[results.length - 1].rows };
      }
      return { rows: (await db.query(text, values)).rows };
    },
    async transaction(statements) {
      await db.transaction(async (tx) => {
        for (const s of statements) {
          if (s.values === undefined || s.values.length === 0) await tx.exec(s.text);
          else await tx.query(s.text, s.values);
        }
      });
    },
    exclusive: (_key, fn) => fn(client),
  };
  return client;
}

/** @returns {Promise<void>} */
export default async function setup() {
  const { MIGRATIONS, migrate } = await migrations();
  const schema = createHash("sha256").update(JSON.stringify(MIGRATIONS)).digest("hex").slice(0, 16);
  const version = `${installedVersion()} schema ${MIGRATIONS.length} ${schema}`;
  if (existsSync(seed) && existsSync(versionFile) && readFileSync(versionFile, "utf8").trim() === version) return;
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create();
  await migrate(sqlClient(db));
  const bytes = new Uint8Array(await (await db.dumpDataDir("gzip")).arrayBuffer());
  await db.close();
  mkdirSync(folder, { recursive: true });
  const tmp = `${seed}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, seed);
  writeFileSync(versionFile, `${version}\n`);
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await setup();
