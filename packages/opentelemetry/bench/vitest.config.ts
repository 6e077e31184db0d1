import { defineConfig } from "vitest/config";

/**
 * The benchmark's own config (benchmarks are not tests):
 * `npx vitest run --config bench/vitest.config.ts` in packages/opentelemetry.
 */
export default defineConfig({
  resolve: { conditions: ["@hamilton-ts/source"] },
  ssr: { resolve: { conditions: ["@hamilton-ts/source"] } },
  test: { include: ["bench/**/*.bench.ts"], testTimeout: 300_000 },
});
