/**
 * `hamilton-ts-ui` (`@hamilton-ts/ui`): how fast it takes records in, and how fast its read API
 * answers over a large store.
 *
 * - `ui/ingest/tracking`: the server's capacity for the tracking protocol, node runs per second.
 *   20 runs (as 20 processes × 1,000 node runs would) reported at once: the requests a real
 *   `HamiltonUIClient` sent for them (captured once, untimed), replayed against a fresh `startUi`
 *   from a child process (`ui-replay.ts`), 20 lanes on their own connections, each sending one run's
 *   requests one after another; every record is on disk before its answer, and the store is checked
 *   to hold every node run afterwards. Beside one `FileSink` writing the same runs' batches, 20 runs
 *   at a time; target ≥ 0.5× FileSink.
 * - `ui/ingest/otlp`: the same for `POST /v1/traces`, spans per second: the protobuf bodies of
 *   `@opentelemetry/exporter-trace-otlp-proto`, 20 requests in flight, beside the OTLP JSON-lines
 *   file exporter (`@hamilton-ts/otlp-file`) given the same batches; target ≥ 0.5×.
 * - Context rows, no target: `ui/ingest/tracking/1-client` (one `HamiltonUIClient` in this process,
 *   batch after batch, end to end, beside `FileSink` batch after batch) and `ui/ingest/otlp/1-exporter`
 *   (one proto exporter in this process, batch after batch, beside the file exporter).
 * - `ui/store/10000-runs`: `startUi` over a store of 10,000 runs (start-up time, the index built),
 *   then `GET /api/runs`; target ≤ 200 ms.
 * - `ui/run/10000-nodes`: `GET /api/runs/:runId` of a run of 10,000 node runs; target ≤ 300 ms.
 *
 * The records are real: a `HamiltonTracker` run of the fan shape, captured by a sink that keeps
 * them. Times are medians of the repetitions (the first answer after start-up is printed too).
 */
import { selected, type Options } from "./options.js";
import type { Section } from "./section.js";
import { render, targets, type UiFigures, type UiIngestFigure } from "./ui-figures.js";
import { Replayer } from "./ui-harness.js";
import { ingestOtlp, ingestOtlpOneExporter } from "./ui-ingest-otlp.js";
import { ingestTracking, ingestTrackingOneClient } from "./ui-ingest-tracking.js";
import { reads } from "./ui-reads.js";

export { UI_INGEST_RATIO, UI_LIST_MS, UI_RUN_MS } from "./ui-figures.js";
export type { UiFigures, UiIngestFigure, UiReadFigure } from "./ui-figures.js";

/** The `ui/…` figures, as a section of the report; undefined when `--only` selects none. */
export async function uiSuite(options: Options): Promise<Section | undefined> {
  const ingest: UiIngestFigure[] = [];
  const ingestIds = ["ui/ingest/tracking", "ui/ingest/otlp"];
  const replayer = ingestIds.some((id) => selected(options, id)) ? new Replayer() : undefined;
  try {
    if (selected(options, "ui/ingest/tracking")) {
      process.stderr.write("ui/ingest/tracking\n");
      ingest.push(await ingestTracking(options, replayer!));
      ingest.push(await ingestTrackingOneClient(options));
    }
    if (selected(options, "ui/ingest/otlp")) {
      process.stderr.write("ui/ingest/otlp\n");
      ingest.push(await ingestOtlp(options, replayer!));
      ingest.push(await ingestOtlpOneExporter(options));
    }
  } finally {
    replayer?.close();
  }
  process.stderr.write("ui reads\n");
  const figures: UiFigures = { ingest, reads: await reads(options) };
  if (figures.ingest.length === 0 && figures.reads.length === 0) return undefined;
  return { id: "ui", figures, markdown: render(figures), targets: targets(figures) };
}
