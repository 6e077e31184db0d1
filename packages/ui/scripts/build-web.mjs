/**
 * Builds the page into `dist-web/` with Vite when it is missing or older than its sources (`web/`,
 * the Vite config); after `pnpm build` it has nothing to do. The tests' global setup (so the page
 * and browser tests always serve the current `web/` sources), and run by `node
 * scripts/build-web.mjs` before serving from the workspace's sources (the demo's `ui` script).
 */
import { readdirSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";

const root = fileURLToPath(new URL("..", import.meta.url));

/** @param {string} path @returns {number} */
function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** @returns {number} */
function builtAt() {
  try {
    return statSync(join(root, "dist-web", "index.html")).mtimeMs;
  } catch {
    return 0;
  }
}

/** @returns {Promise<void>} */
export default async function setup() {
  const sources = Math.max(newest(join(root, "web")), newest(join(root, "vite.web.config.ts")));
  if (builtAt() >= sources) return;
  await build({ configFile: join(root, "vite.web.config.ts"), logLevel: "warn" });
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await setup();
