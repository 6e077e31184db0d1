/**
 * Installs the globals that test/dataflow.ts's nodes leave marker files with and meet through
 * (BULLMQ_TEST_MARKERS).
 */
import { readdirSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";

(globalThis as { bullmqTestMark?: (name: string) => void }).bullmqTestMark = (name) => {
  const dir = process.env.BULLMQ_TEST_MARKERS;
  if (dir !== undefined) writeFileSync(join(dir, name), "");
};

/** Resolves once `started-<id>-<pid>` markers name at least `processes` processes (watched, not polled). */
(globalThis as { bullmqTestMeet?: (processes: number) => Promise<void> }).bullmqTestMeet = (processes) => {
  const dir = process.env.BULLMQ_TEST_MARKERS;
  if (dir === undefined) return Promise.reject(new Error("a `meet` item needs BULLMQ_TEST_MARKERS"));
  return new Promise((resolve) => {
    const watcher = watch(dir);
    const check = () => {
      const pids = new Set(
        readdirSync(dir)
          .filter((name) => name.startsWith("started-"))
          .map((name) => name.slice(name.lastIndexOf("-") + 1)),
      );
      if (pids.size >= processes) {
        watcher.close();
        resolve();
      }
    };
    watcher.on("change", check);
    check();
  });
};
