// Deletes every published package's build output (dist/ and tsconfig.tsbuildinfo), so the next
// `pnpm build` emits exactly what src/ holds today: `tsc -b` never deletes the output of a module
// that was removed or excluded, and such a stale file would be published. `pnpm release` runs it
// before its forced build (see the "Releasing" section of README.md).
import { rmSync } from "node:fs";
import { join } from "node:path";
import { publishablePackages } from "./lib/packages.mjs";

for (const p of publishablePackages()) {
  for (const output of ["dist", "tsconfig.tsbuildinfo"]) rmSync(join(p.dir, output), { recursive: true, force: true });
  console.log(`cleaned ${p.rel}/dist and ${p.rel}/tsconfig.tsbuildinfo`);
}
