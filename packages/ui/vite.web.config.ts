import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/**
 * Builds the page into `dist-web/` of the package: `index.html` and hashed files under `assets/`,
 * served by the server as they are (users get no build step). No inline script or style is
 * emitted, so the server's Content-Security-Policy holds.
 */
export default defineConfig({
  root: fileURLToPath(new URL("./web/", import.meta.url)),
  base: "/",
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("./dist-web", import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
  },
  worker: { format: "es" },
});
