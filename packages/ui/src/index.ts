/**
 * @packageDocumentation
 * `@hamilton-ts/ui`: a local server over the tracker's store. It reads the runs `HamiltonTracker`
 * and `FileSink` write, receives runs over the Hamilton UI tracking protocol (`/api/v1/...`, from
 * `HamiltonUIClient` or Python's `hamilton_sdk`) and traces over OTLP/HTTP (`POST /v1/traces`),
 * writes what it receives into the store, and serves it all through a read API
 * (`/api/runs`, `/api/runs/:runId`, `/api/traces/:traceId`).
 */
export { DEFAULT_HOST, DEFAULT_PORT, startUi } from "./server.js";
export type { UiOptions, UiServer } from "./server.js";
export { DEFAULT_MAX_BODY_BYTES } from "./body.js";
export { DEFAULT_RUNS_LIMIT, getRun, getTrace, listRuns, MAX_RUNS_LIMIT, storeStatus } from "./read-api.js";
export type { RunDetail, RunFilter, RunSummary, StoreSource, StoreStatus, TraceDetail } from "./read-api.js";
export { StoreIndex, storeIndex } from "./store-index.js";
export type { StoreIndexStatus } from "./store-index.js";
export { readTraceFile, TRACES_FILE, tracesFile } from "./traces.js";
export type { SpanView, TraceFileContents } from "./traces.js";
export { IDS_FILE } from "./ids.js";
/** LLM calls counted and priced per node run and per run, from a run's node runs and its trace's spans. */
export { isLlmCallSpan, llmCall, NO_LLM_USAGE, NO_MODEL, runLlmUsage } from "./llm-usage.js";
export type { LlmCall, LlmUsage, RunLlmUsage, UsageNodeRun, UsageSpan } from "./llm-usage.js";
/** LLM prices per 1M tokens: the shipped, dated table and a user's JSON table that extends it. */
export { DEFAULT_PRICES, loadPrices, mergePrices, parsePrices, PRICES_DATE, priceOf } from "./prices.js";
export type { ModelPrice, PriceTable } from "./prices.js";
export { UiError } from "./errors.js";
export type { UiErrorCode } from "./errors.js";
