import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.js";

/**
 * Two projects. `ui`: the server's tests and the browser tests, after a build of the page
 * (`dist-web/`), which they serve. `web`: the page's logic (`web/src/*.test.ts`) under Node, with no
 * DOM and no build (`npx vitest run --project web`).
 */
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      // Much of a server test waits (on PGlite's own thread, a child process, Chromium): two files
      // at once even on two cores, where vitest's default is one and this suite is the longest.
      maxWorkers: 2,
      projects: [
        {
          extends: true,
          test: {
            name: "ui",
            globalSetup: ["./scripts/build-web.mjs", "./scripts/pglite-seed.mjs"],
            // Each server starts an embedded PostgreSQL (PGlite, WASM): seconds on a busy machine.
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
        // Not `extends`: that would add the shared `include` (every server test) to this one.
        { test: { name: "web", include: ["web/src/**/*.test.ts"], environment: "node" } },
      ],
    },
  }),
);
