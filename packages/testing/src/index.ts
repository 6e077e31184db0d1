/**
 * `@hamilton-ts/testing`: what several packages' tests share (private; never published). Each
 * server here is the real thing on 127.0.0.1, started per test file on a free port; each wait is
 * on an event or output, never on time. The protocol scenarios and the record factories, which
 * load the tracker and vitest, are the subpaths `@hamilton-ts/testing/hamilton-ui-scenarios` and
 * `@hamilton-ts/testing/records`.
 */

/** A loopback port nothing listens on now. */
export { freePort } from "./free-port.js";
/** A child process that says it is ready: a line on stdout or an IPC message; its stderr when it dies first. */
export { ProcessNotReadyError, startReadyProcess } from "./ready-process.js";
/** What {@link startReadyProcess} takes and gives. */
export type { ProcessExit, ReadyProcess, ReadyProcessOptions } from "./ready-process.js";
/** A child process run to its end: what it printed and how it ended; optionally killed after a budget. */
export { runProcess } from "./run-process.js";
/** What {@link runProcess} takes and gives. */
export type { ProcessResult, RunProcessOptions } from "./run-process.js";
/** Time budgets for whole-process tests, scaled by how slow the machine is now and `TEST_TIME_FACTOR`. */
export { MAX_LOAD_FACTOR, measureSpawnMs, QUIET_SPAWN_MS, timeBudget } from "./time-budget.js";
/** What {@link timeBudget} takes and gives. */
export type { TimeBudget, TimeBudgetOptions } from "./time-budget.js";
/** redis-server on a free loopback port, no persistence. */
export { startRedis } from "./redis.js";
/** A running redis-server. */
export type { RedisServer } from "./redis.js";
/** A PostgreSQL cluster in a temporary folder on a free loopback port; `stop()` removes it. */
export { postgresBinDir, startPostgres } from "./postgres.js";
/** A running PostgreSQL cluster and its connection URL. */
export type { PostgresServer } from "./postgres.js";
/** The fake Hamilton UI backend: the tracking routes of Python's hamilton_sdk, with injectable faults. */
export { FakeHamiltonUI, Gate } from "./hamilton-ui-server.js";
/** What the fake Hamilton UI logs and stores, and how it fails. */
export type {
  FailureMode,
  FakeHamiltonUIOptions,
  Fault,
  LoggedRequest,
  StoredDagRun,
  StoredNodeRun,
} from "./hamilton-ui-server.js";
/** A callback that records its calls and lets a test await a number of them. */
export { calls } from "./calls.js";
/** What {@link calls} returns. */
export type { Calls } from "./calls.js";
