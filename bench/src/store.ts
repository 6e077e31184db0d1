/**
 * The `store/…` section: `hamilton-ts-ui` over a large store — 100,000 runs (10,000 with
 * `--quick`), ~1.6M node runs, ~1M spans, generated once and cached (`store-fixture.ts`) — with
 * the targets of the store's issue: start with the index present, resident memory, the read API's
 * answers, ingest through the server, the index's lag, and the team setup on PostgreSQL.
 *
 * Heavy at 100,000 runs, so it runs only when asked (`--only store`, or an id under it); a
 * `--quick` run of everything includes it at 10,000 runs.
 */
import { selected, type Options } from "./options.js";
import type { Section } from "./section.js";
import { renderStore, type StoreFigures, type StoreRow, storeTargets } from "./store-figures.js";
import { cachedStore } from "./store-fixture.js";
import { ingestLag, ingestRow, team } from "./store-ingest.js";
import { largeStoreReads, listGrowth } from "./store-reads.js";
import { Replayer } from "./ui-harness.js";
import { ingestOtlp } from "./ui-ingest-otlp.js";
import { ingestTracking } from "./ui-ingest-tracking.js";

/** Runs in the large store: `--quick` and full. */
export const STORE_RUNS = { quick: 10_000, full: 100_000 } as const;

/** The ids of the section's figures (for `--only`). */
export function storeIds(options: Options): string[] {
  const runs = options.quick ? STORE_RUNS.quick : STORE_RUNS.full;
  return [
    "store/start",
    "store/rss",
    `store/list/${runs}`,
    "store/list/1000-vs-10000",
    "store/run/10000-nodes",
    "store/trace",
    "store/node-history",
    "store/activity",
    "store/ingest/tracking",
    "store/ingest/otlp",
    "store/ingest-lag",
    "store/team",
  ];
}

/** The figures read over the large store, all from one pair of server starts. */
const LARGE_STORE_IDS = [
  "store/start",
  "store/rss",
  "store/list/",
  "store/run/",
  "store/trace",
  "store/node-history",
  "store/activity",
];

/** The `store/…` figures, as a section of the report; undefined when not asked for. */
export async function storeSuite(options: Options): Promise<Section | undefined> {
  const ids = storeIds(options);
  const asked = options.only !== undefined && ids.some((id) => selected(options, id));
  if (!asked && !(options.quick && options.only === undefined)) return undefined;
  const is = (id: string) => selected(options, id);
  const runs = options.quick ? STORE_RUNS.quick : STORE_RUNS.full;
  const rows: StoreRow[] = [];
  const notes: string[] = [];
  let store: StoreFigures["store"];
  process.stderr.write("store\n");
  if (
    ids.some(
      (id) => is(id) && LARGE_STORE_IDS.some((prefix) => id.startsWith(prefix)) && id !== "store/list/1000-vs-10000",
    )
  ) {
    const fixture = await cachedStore(runs);
    store = {
      runs: fixture.runs,
      nodeRuns: fixture.nodeRuns,
      spans: fixture.spans,
      source:
        fixture.generatedSeconds > 0
          ? `generated in ${fixture.generatedSeconds.toFixed(0)} s, cached in bench/.cache/`
          : "from bench/.cache/",
    };
    const reads = await largeStoreReads(options, fixture);
    rows.push(...reads.rows.filter((r) => is(r.id) || (r.id === "store/start/first" && is("store/start"))));
    notes.push(...reads.notes);
  }
  if (is("store/list/1000-vs-10000")) {
    process.stderr.write("  store/list/1000-vs-10000…\n");
    rows.push(await listGrowth(options));
  }
  const capacity = [
    { id: "store/ingest/tracking", ui: "ui/ingest/tracking", measure: ingestTracking },
    { id: "store/ingest/otlp", ui: "ui/ingest/otlp", measure: ingestOtlp },
  ].filter((c) => is(c.id));
  const fromUi = capacity.filter((c) => is(c.ui));
  if (fromUi.length > 0)
    notes.push(
      `${fromUi.map((c) => c.id).join(", ")}: measured in the ui section's ${fromUi.map((c) => c.ui).join(", ")} rows of this run.`,
    );
  const own = capacity.filter((c) => !is(c.ui));
  if (own.length > 0 || is("store/ingest-lag")) {
    const replayer = new Replayer();
    try {
      for (const c of own) {
        process.stderr.write(`  ${c.id}…\n`);
        rows.push(ingestRow(await c.measure(options, replayer), c.id));
      }
      if (is("store/ingest-lag")) {
        process.stderr.write("  store/ingest-lag…\n");
        rows.push(await ingestLag(options, replayer));
      }
    } finally {
      replayer.close();
    }
  }
  if (is("store/team")) {
    process.stderr.write("  store/team…\n");
    rows.push(await team(options));
  }
  notes.push(
    "Measured on a busy machine (2 cores shared with other work): read the ratios and the order of magnitude; times move between runs.",
  );
  const figures: StoreFigures = { store, rows, notes };
  return { id: "store", figures, markdown: renderStore(figures), targets: storeTargets(figures) };
}
