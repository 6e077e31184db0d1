/**
 * OTLP spans into the team database: the decoded export's OTLP JSON lines read into spans as the
 * trace file's reader reads them, stored with `ON CONFLICT DO NOTHING` (an exporter that retries
 * sends the same spans again; the first is kept), in statements of a bounded size.
 */
import type { DecodedTraces } from "../otlp.js";
import { type SpanView, spansOf } from "../traces.js";
import type { SqlClient } from "./database.js";
import { ingestSpans } from "./ingest.js";

/** Spans per statement (one JSON parameter each; a large export is stored in several). */
const SPANS_PER_STATEMENT = 2_000;

/** Stores the spans of a decoded export; resolves once all are stored. */
export async function storeSpans(db: SqlClient, decoded: Pick<DecodedTraces, "lines">): Promise<number> {
  let batch: SpanView[] = [];
  let stored = 0;
  for (const line of decoded.lines) {
    for (const span of spansOf(JSON.parse(line))) {
      batch.push(span);
      if (batch.length === SPANS_PER_STATEMENT) {
        await ingestSpans(db, batch);
        stored += batch.length;
        batch = [];
      }
    }
  }
  if (batch.length > 0) await ingestSpans(db, batch);
  return stored + batch.length;
}
