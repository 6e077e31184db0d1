/**
 * `pnpm bench`: runs every suite, prints one markdown report to stdout (progress goes to
 * stderr), and with `--json` writes the figures to `bench/results/latest.json`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { bullmqSuite } from "./bullmq.js";
import { cacheSuite, fingerprintSuite } from "./cache.js";
import { cacheRedisSuite } from "./cache-redis.js";
import { downSinkSuite } from "./down-sink.js";
import { fanoutSuite } from "./fanout.js";
import { parseOptions, selected } from "./options.js";
import { otel } from "./otel.js";
import type { Results } from "./results.js";
import { buildSuite, executeSuite, ioSuite } from "./suites.js";
import { renderResults } from "./table.js";
import type { Section, SectionSuite } from "./section.js";
import { checkTargets } from "./targets.js";
import { storeSuite } from "./store.js";
import { uiSuite } from "./ui.js";
import { uiHistoryTargets } from "./ui-history.js";
import { uiRenderTargets } from "./ui-render.js";

/** Suites that print a section of their own, in this order. */
const SECTION_SUITES: readonly SectionSuite[] = [uiSuite, bullmqSuite, cacheRedisSuite, storeSuite];

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const notes: string[] = [];
  const cpus = os.cpus();
  const results: Results = {
    machine: {
      node: process.version,
      cpus: cpus.length,
      cpu: cpus[0]?.model.trim() ?? "unknown",
      platform: `${os.platform()} ${os.release()}`,
      date: new Date().toISOString().slice(0, 10),
    },
    options: {
      quick: options.quick,
      only: options.only ?? null,
      adaptersAt100k: options.adaptersAtLargest,
      sizes: options.sizes,
    },
    build: buildSuite(options),
    execute: await executeSuite(options, notes),
    io: await ioSuite(options),
    fanout: await fanoutSuite(options),
    downSink: selected(options, "down-sink") ? await downSinkSuite(options) : undefined,
    cache: await cacheSuite(options),
    fingerprint: fingerprintSuite(options),
    targets: [],
    notes,
  };
  const sections: Section[] = [];
  for (const suite of SECTION_SUITES) {
    const section = await suite(options);
    if (section !== undefined) sections.push(section);
  }
  results.targets = [
    ...checkTargets(results),
    ...sections.flatMap((s) => s.targets),
    ...(await uiRenderTargets(options, notes)),
    ...(await uiHistoryTargets(options, notes)),
  ];
  await otel().shutdown();
  notes.push(
    `Run ms = median of the timed runs after warm-up runs (${options.quick ? "5" : "20 at every size, so node functions are as hot at 100k as at 1k; 3 for adapter variants at 100k"}); a full GC ` +
      "before each variant, none between runs. Variants that make spans include `forceFlush()` of the BatchSpanProcessor " +
      "(→ InMemorySpanExporter) in the run. Tracker flush ms = the tracker's `flush()` after each run, not in run ms. Peak heap = " +
      "heapUsed growth over one extra run from a collected heap.",
  );
  notes.push(`Total bench time ${((performance.now() - started) / 1000).toFixed(0)} s.`);
  console.log([renderResults(results), ...sections.map((s) => s.markdown)].join("\n"));
  if (options.json) {
    const file = fileURLToPath(new URL("../results/latest.json", import.meta.url));
    await mkdir(fileURLToPath(new URL("../results/", import.meta.url)), { recursive: true });
    const sectionFigures = Object.fromEntries(sections.map((s) => [s.id, s.figures]));
    await writeFile(file, `${JSON.stringify({ ...results, sections: sectionFigures }, null, 2)}\n`);
    process.stderr.write(`wrote ${file}\n`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
