/** Installs the global that test/dataflow.ts's nodes leave marker files with (BULLMQ_TEST_MARKERS). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

(globalThis as { bullmqTestMark?: (name: string) => void }).bullmqTestMark = (name) => {
  const dir = process.env.BULLMQ_TEST_MARKERS;
  if (dir !== undefined) writeFileSync(join(dir, name), "");
};
