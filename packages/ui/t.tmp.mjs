import { getRun } from "@hamilton-ts/ui";
import { mkdtemp } from "node:fs/promises";
const dir = process.argv[2];
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  await getRun(dir, "big-run");
  console.log("getRun", Math.round(performance.now() - t));
}
