import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.js";

/** The shared configuration, plus a build of the page (`dist-web/`) before the tests, which serve it. */
export default mergeConfig(
  shared,
  defineConfig({
    test: { globalSetup: ["./scripts/build-web.mjs"] },
  }),
);
