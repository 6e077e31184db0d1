/**
 * The read figures of the `store/…` section over the generated store (`store-fixture.ts`): the
 * server in a child process started twice over a working copy of the store — the first start
 * builds the index (its catch-up is reported), the second finds it present (start to first
 * answer, target ≤ 3 s) — then its resident memory, and the read API's answers: the newest 100
 * runs with filters, a run of 10,000 node runs, a trace, a node's history, the activity rollup.
 * And the list over 1,000 vs 10,000 runs (two stores, two servers, requests in turns).
 */
import type { Options } from "./options.js";
import { count, ms, STORE_TARGETS as T, type StoreRow } from "./store-figures.js";
import { cachedStore, FIXTURE_DAYS, MAIN_DAGS, MAIN_PROJECT, type StoreFixture, workingCopy } from "./store-fixture.js";
import { get, runsOf, type Timed, timeReads, waitCaughtUp } from "./store-http.js";
import { residentMemory, type ServerProcess, startServerProcess } from "./store-process.js";

const DAY_MS = 86_400_000;
/** How long a first start may take to index the store before the bench gives up. */
const CATCH_UP_TIMEOUT_MS = 60 * 60_000;
/** The filtered list: the main project's first DAG, its failures. */
const LIST_DAG = MAIN_DAGS[0];
const LIST_STATUS = "FAILURE";
/** The node whose history is read. */
const HISTORY_NODE = "scores";

const log = (message: string) => process.stderr.write(`  ${message}\n`);

/** A row for a timed read against its limit. */
function readRow(id: string, what: string, timed: Timed, limitMs: number, detail = ""): StoreRow {
  if (!timed.ok)
    return {
      id,
      what,
      figure: "not measured",
      detail: timed.why,
      target: `≤ ${count(limitMs)} ms`,
      ok: false,
      values: { why: timed.why },
    };
  return {
    id,
    what,
    figure: `${ms(timed.medianMs)} ms`,
    detail: `first ${ms(timed.firstMs)} ms${detail === "" ? "" : `; ${detail}`}`,
    target: `≤ ${count(limitMs)} ms`,
    ok: timed.medianMs <= limitMs,
    values: { medianMs: timed.medianMs, firstMs: timed.firstMs, limitMs },
  };
}

/** Spawn to the first 200 answer of `path`, ms (the server's start-up and its first read). */
async function firstAnswer(server: ServerProcess, path: string): Promise<{ readyMs: number; answerMs: number }> {
  const readyMs = performance.now() - server.spawnedAt;
  const answer = await get(`${server.url}${path}`);
  if (answer.status !== 200)
    throw new Error(`bench store/start: GET ${path} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  return { readyMs, answerMs: performance.now() - server.spawnedAt };
}

const listPath = `/api/runs?project=${MAIN_PROJECT}&dag=${LIST_DAG}&status=${LIST_STATUS}&limit=100`;

function checkList(body: unknown): string | undefined {
  const r = runsOf(body);
  if ("why" in r) return r.why;
  if (r.runs.length !== 100) return `${r.runs.length} runs, expected 100`;
  const stray = r.runs.find((run) => run.dagName !== LIST_DAG || run.status !== LIST_STATUS);
  return stray === undefined
    ? undefined
    : `a run of ${String(stray.dagName)} ${String(stray.status)} among the filtered ones`;
}

/** The figures over the large store (`store/start`, `store/rss`, `store/list/<n>`, …). */
export async function largeStoreReads(
  options: Options,
  fixture: StoreFixture,
): Promise<{ rows: StoreRow[]; notes: string[] }> {
  const rows: StoreRow[] = [];
  const notes: string[] = [];
  const requests = options.quick ? 7 : 11;
  const copy = await workingCopy(fixture);
  try {
    log(`store/start: first start over ${count(fixture.runs)} runs (builds the index)…`);
    let server = await startServerProcess({ dir: copy.dir });
    let catchUpMs: number;
    let firstStartMs: number;
    try {
      firstStartMs = (await firstAnswer(server, "/api/runs?limit=1")).answerMs;
      catchUpMs = (await waitCaughtUp(server.url, CATCH_UP_TIMEOUT_MS)) - server.spawnedAt;
    } finally {
      await server.stop();
    }
    log(
      `store/start: first start answered after ${ms(firstStartMs)} ms, caught up after ${ms(catchUpMs)} ms; second start…`,
    );
    server = await startServerProcess({ dir: copy.dir });
    try {
      const second = await firstAnswer(server, listPath);
      const status = (await get(`${server.url}/api/store`)).body as { backend?: unknown } | undefined;
      const backend = typeof status?.backend === "string" ? status.backend : "no backend field";
      const caughtUpMs = (await waitCaughtUp(server.url, CATCH_UP_TIMEOUT_MS)) - server.spawnedAt;
      rows.push({
        id: "store/start",
        what: "process start to first answer (filtered list), the index present",
        figure: `${ms(second.answerMs)} ms`,
        detail: `listening after ${ms(second.readyMs)} ms; caught up after ${ms(caughtUpMs)} ms; backend: ${backend}`,
        target: `≤ ${count(T.startMs)} ms`,
        ok: second.answerMs <= T.startMs,
        values: { answerMs: second.answerMs, readyMs: second.readyMs, caughtUpMs, backend },
      });
      rows.push({
        id: "store/start/first",
        what: "first start: the index built from the files (catch-up)",
        figure: `${(catchUpMs / 1000).toFixed(1)} s`,
        detail: `first answer after ${ms(firstStartMs)} ms; ${count((fixture.nodeRuns * 1000) / catchUpMs)} node runs/s`,
        target: "",
        ok: undefined,
        values: { catchUpMs, firstAnswerMs: firstStartMs },
      });
      const afterStart = await residentMemory(server.pid);
      log("store reads…");
      const reads: StoreRow[] = [];
      reads.push(
        readRow(
          `store/list/${fixture.runs - 1}`,
          `newest 100 runs, project + DAG + status (${LIST_STATUS})`,
          await timeReads(server.url, listPath, requests, checkList),
          T.listMs,
        ),
      );
      reads.push(
        readRow(
          "store/run/10000-nodes",
          "GET /api/runs/:id, a run of 10,000 node runs",
          await timeReads(server.url, `/api/runs/${fixture.bigRunId}`, requests, (body) => {
            const nodes = (body as { nodeRuns?: unknown[] } | undefined)?.nodeRuns;
            return Array.isArray(nodes) && nodes.length === 10_000
              ? undefined
              : `${Array.isArray(nodes) ? nodes.length : "no"} node runs, expected 10,000`;
          }),
          T.runMs,
        ),
      );
      reads.push(
        readRow(
          "store/trace",
          `GET /api/traces/:id among ${count(fixture.spans)} spans`,
          await timeReads(server.url, `/api/traces/${fixture.traceId}`, requests, (body) => {
            const spans = (body as { spans?: unknown[] } | undefined)?.spans;
            return Array.isArray(spans) && spans.length >= 9
              ? undefined
              : `${Array.isArray(spans) ? spans.length : "no"} spans`;
          }),
          T.traceMs,
        ),
      );
      const historyLimit = 10_000;
      reads.push(
        readRow(
          "store/node-history",
          `a node's history over its last ${count(Math.min(historyLimit, fixture.historyRuns))} runs`,
          await timeReads(
            server.url,
            `/api/nodes/history?project=${MAIN_PROJECT}&dag=${LIST_DAG}&node=${HISTORY_NODE}&limit=${historyLimit}`,
            requests,
            (body) => {
              const runs = (body as { runs?: unknown[] } | undefined)?.runs;
              const expected = Math.min(historyLimit, fixture.historyRuns);
              return Array.isArray(runs) && runs.length === expected
                ? undefined
                : `${Array.isArray(runs) ? runs.length : "no"} node runs, expected ${expected}`;
            },
          ),
          T.historyMs,
          `${count(fixture.historyRuns)} runs of the DAG`,
        ),
      );
      // Every run's day, whichever way the server counts days back from today.
      const days = Math.ceil((Date.now() - fixture.oldestStart) / DAY_MS) + 2;
      // The main project holds every run but every 50th (and the 10,000-node run).
      const mainRuns = fixture.runs - Math.floor((fixture.runs - 1) / 50);
      reads.push(
        readRow(
          "store/activity",
          `GET /api/activity over ${count(fixture.runs)} runs (${days} days)`,
          await timeReads(server.url, `/api/activity?project=${MAIN_PROJECT}&days=${days}`, requests, (body) => {
            const list = (body as { days?: { runs?: unknown }[] } | undefined)?.days;
            if (!Array.isArray(list)) return "the answer has no days array";
            const total = list.reduce((n, d) => n + Number(d.runs ?? 0), 0);
            return total === mainRuns ? undefined : `${total} runs over the days, expected ${mainRuns}`;
          }),
          T.activityMs,
        ),
      );
      const afterReads = await residentMemory(server.pid);
      const rss = Math.max(afterStart.rssMB, afterReads.rssMB);
      rows.push({
        id: "store/rss",
        what: "server's resident memory (VmRSS), after start and after the reads",
        figure: `${count(rss)} MB`,
        detail: `after start ${count(afterStart.rssMB)} MB, after reads ${count(afterReads.rssMB)} MB, peak (VmHWM) ${count(afterReads.peakMB)} MB`,
        target: `≤ ${count(T.rssMB)} MB`,
        ok: rss <= T.rssMB,
        values: { afterStartMB: afterStart.rssMB, afterReadsMB: afterReads.rssMB, peakMB: afterReads.peakMB },
      });
      rows.push(...reads);
      notes.push(
        `Reads: the median of ${requests} GETs from the bench's process (after one untimed request), the server in its own process; ` +
          `the store's runs start over ${FIXTURE_DAYS} days, so \`/api/activity\` is asked for all of them.`,
      );
    } finally {
      await server.stop();
    }
  } finally {
    await copy.remove();
  }
  return { rows, notes };
}

/** `store/list/1000-vs-10000`: the default list over 1,000 and 10,000 runs, two servers, requests in turns. */
export async function listGrowth(options: Options): Promise<StoreRow> {
  const id = "store/list/1000-vs-10000";
  const requests = options.quick ? 9 : 15;
  const stores = [await cachedStore(1_000), await cachedStore(10_000)];
  const copies = await Promise.all(stores.map((s) => workingCopy(s)));
  const servers: ServerProcess[] = [];
  try {
    for (const copy of copies) servers.push(await startServerProcess({ dir: copy.dir }));
    for (const server of servers) await waitCaughtUp(server.url, CATCH_UP_TIMEOUT_MS);
    for (const server of servers) await (await fetch(`${server.url}/api/v1/health`)).text();
    const times: number[][] = [[], []];
    for (let i = 0; i < requests; i++) {
      for (let k = 0; k < 2; k++) {
        const answer = await get(`${servers[k]!.url}/api/runs`);
        const r = runsOf(answer.body);
        if (answer.status !== 200 || "why" in r || r.runs.length !== 100) {
          const why = `GET /api/runs answered ${answer.status} with ${"why" in r ? r.why : `${r.runs.length} runs`}`;
          return {
            id,
            what: "GET /api/runs, 10,000 vs 1,000 runs",
            figure: "not measured",
            detail: why,
            target: `≤ ${T.listGrowth}× and ≤ ${T.list10kMs} ms`,
            ok: false,
            values: { why },
          };
        }
        times[k]!.push(answer.ms);
      }
    }
    const [small, large] = times.map((t) => [...t].sort((a, b) => a - b)[t.length >> 1]!) as [number, number];
    const ratio = large / small;
    return {
      id,
      what: "GET /api/runs (newest 100), 10,000 vs 1,000 runs",
      figure: `${ratio.toFixed(2)}×`,
      detail: `${ms(large)} ms vs ${ms(small)} ms`,
      target: `≤ ${T.listGrowth}× and ≤ ${T.list10kMs} ms`,
      ok: ratio <= T.listGrowth && large <= T.list10kMs,
      values: { ratio, ms10000: large, ms1000: small },
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all(copies.map((c) => c.remove()));
  }
}
