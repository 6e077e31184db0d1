/**
 * Vitest global setup: builds the page into `dist-web/` with Vite when it is missing or older than
 * its sources (`web/`, the Vite config), so the page and browser tests always serve the current
 * `web/` sources; after `pnpm build` it has nothing to do.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";

const root = fileURLToPath(new URL("..", import.meta.url));

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

function builtAt(): number {
  try {
    return statSync(join(root, "dist-web", "index.html")).mtimeMs;
  } catch {
    return 0;
  }
}

export default async function setup(): Promise<void> {
  const sources = Math.max(newest(join(root, "web")), newest(join(root, "vite.web.config.ts")));
  if (builtAt() >= sources) return;
  await build({ configFile: join(root, "vite.web.config.ts"), logLevel: "warn" });
}
