import { defineConfig } from "vitest/config";

/**
 * Shared test configuration: workspace packages resolve to their TypeScript source through the
 * `@hamilton-ts/source` export condition, so tests need no build.
 */
export default defineConfig({
  resolve: { conditions: ["@hamilton-ts/source"] },
  ssr: { resolve: { conditions: ["@hamilton-ts/source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    // The JSON report feeds the workspace's one-line summary (scripts/test-summary.mjs).
    reporters: ["default", ["json", { outputFile: ".vitest-result.json" }]],
  },
});
