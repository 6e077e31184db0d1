/**
 * Vitest global setup: builds the page into `dist/web` with Vite before the tests run, so the
 * server's page and browser tests always serve the current `web/` sources.
 */
import { fileURLToPath } from "node:url";
import { build } from "vite";

export default async function setup(): Promise<void> {
  await build({ configFile: fileURLToPath(new URL("../vite.web.config.ts", import.meta.url)), logLevel: "warn" });
}
