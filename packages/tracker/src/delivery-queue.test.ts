import { describe, expect, it } from "vitest";
import { FakeClock, settle } from "../test/fake-clock.js";
import { MemorySink } from "../test/memory-sink.js";
import { nodeRecord, runRecord } from "@hamilton-ts/testing/records";
import { DeliveryQueue } from "./delivery-queue.js";
import { type DeliveryQueueOptions, IDLE_WRITE_LIMIT_MS } from "./delivery-types.js";
import { TrackerError } from "./errors.js";
import type { TrackerRecord, TrackerSink } from "./records.js";

const HOUR = 3_600_000;

/**
 * A queue on a fake clock (time moves only by `clock.advance`) whose jitter always draws 0: the
 * n-th retry waits exactly half of its backoff step (5, 10, 20, 20, … ms by default).
 */
function queue(sink: TrackerSink, over: Partial<DeliveryQueueOptions> = {}) {
  const clock = new FakeClock();
  const errors: { error: unknown; willRetry: boolean }[] = [];
  const drops: string[] = [];
  const q = new DeliveryQueue(sink, "p", {
    capacity: 1000,
    byteBudget: 64 * 1024 * 1024,
    batchSize: 100,
    flushIntervalMs: HOUR,
    retryInitialDelayMs: 10,
    retryMaxDelayMs: 40,
    sinkTimeoutMs: HOUR,
    onWriteError: (error, info) => errors.push({ error, willRetry: info.willRetry }),
    onFirstDrop: (bound) => drops.push(bound),
    clock,
    random: () => 0,
    ...over,
  });
  return { q, errors, drops, clock };
}

describe("DeliveryQueue: batching and order", () => {
  it("sends a full batch as soon as the queue reaches batchSize, in order", async () => {
    const sink = new MemorySink();
    const { q } = queue(sink, { batchSize: 3 });
    const records = [runRecord("r"), nodeRecord("r", "a"), nodeRecord("r", "b")];
    for (const r of records) q.push(r);
    await sink.waitFor(3);
    expect(sink.batches).toEqual([records]);
    expect(sink.projects).toEqual(["p"]);
  });

  it("sends a partial batch once flushIntervalMs has passed, not before", async () => {
    const sink = new MemorySink();
    const { q, clock } = queue(sink, { flushIntervalMs: 50 });
    q.push(runRecord("r"));
    await clock.advance(49);
    expect(sink.attempts).toBe(0);
    await clock.advance(1);
    expect(sink.records).toHaveLength(1);
  });

  it("sends at once on requestFlush (the end of a run)", async () => {
    const sink = new MemorySink();
    const { q } = queue(sink);
    q.push(runRecord("r"));
    q.push(runRecord("r", "SUCCESS"));
    q.requestFlush();
    await sink.waitFor(2);
    expect(sink.records.map((r) => (r as { status: string }).status)).toEqual(["RUNNING", "SUCCESS"]);
  });

  it("splits a long queue into batches of batchSize, keeping order across them", async () => {
    const sink = new MemorySink();
    const { q } = queue(sink, { batchSize: 4 });
    const records: TrackerRecord[] = [];
    for (let i = 0; i < 10; i++) records.push(nodeRecord("r", `n${i}`));
    for (const r of records) q.push(r);
    const report = await q.flush();
    expect(report).toMatchObject({ complete: true, undelivered: [], dropped: 0, rejected: 0 });
    expect(sink.records).toEqual(records);
    expect(sink.batches.every((b) => b.length <= 4)).toBe(true);
    expect(q.stats).toMatchObject({ queued: 0, inFlight: 0, delivered: 10 });
  });

  it("flush() with nothing queued resolves complete", async () => {
    const { q } = queue(new MemorySink());
    await expect(q.flush()).resolves.toMatchObject({ complete: true, undelivered: [] });
  });
});

describe("DeliveryQueue: failures", () => {
  it("retries a failing sink on the backoff schedule and loses nothing once it recovers", async () => {
    const sink = new MemorySink();
    sink.mode = "fail";
    const { q, errors, clock } = queue(sink, { retryInitialDelayMs: 100, retryMaxDelayMs: 400 });
    const records = [runRecord("r"), nodeRecord("r", "a"), runRecord("r", "SUCCESS")];
    for (const r of records) q.push(r);
    q.requestFlush();
    await settle();
    expect(sink.attempts).toBe(1);
    // Steps 100, 200, 400, 400 ms; the jitter draws 0: each retry waits half its step.
    for (const [wait, attempts] of [
      [50, 2],
      [100, 3],
      [200, 4],
      [200, 5],
    ] as const) {
      await clock.advance(wait - 1);
      expect(sink.attempts).toBe(attempts - 1);
      await clock.advance(1);
      expect(sink.attempts).toBe(attempts);
    }
    sink.mode = "ok";
    const report = await q.flush();
    expect(report.complete).toBe(true);
    expect(sink.records).toEqual(records);
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(errors.every((e) => e.willRetry)).toBe(true);
    expect(q.stats.failedWrites).toBe(errors.length);
  });

  it("treats a sink that throws synchronously like one that rejects", async () => {
    let calls = 0;
    const records: TrackerRecord[] = [];
    const sink: TrackerSink = {
      write(_p, batch) {
        if (calls++ === 0) throw new Error("sync throw");
        records.push(...batch);
        return Promise.resolve();
      },
    };
    const { q, errors, clock } = queue(sink);
    q.push(runRecord("r"));
    const flushing = q.flush();
    await clock.advance(5);
    expect((await flushing).complete).toBe(true);
    expect(records).toHaveLength(1);
    expect(String(errors[0]!.error)).toContain("sync throw");
  });

  it("discards a batch the sink rejects as not retryable, reports it, and goes on", async () => {
    const sink = new MemorySink();
    sink.mode = "reject";
    const { q, errors } = queue(sink, { batchSize: 2 });
    q.push(nodeRecord("r", "a"));
    q.push(nodeRecord("r", "b"));
    await settle();
    expect(sink.attempts).toBe(1);
    sink.mode = "ok";
    q.push(nodeRecord("r", "c"));
    const report = await q.flush();
    expect(report).toMatchObject({ complete: true, rejected: 2 });
    expect(sink.records.map((r) => (r as { node: string }).node)).toEqual(["c"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.willRetry).toBe(false);
  });

  it("aborts and retries a write that hangs past sinkTimeoutMs", async () => {
    const sink = new MemorySink();
    sink.mode = "hang";
    const { q, errors, clock } = queue(sink, { sinkTimeoutMs: 10 });
    q.push(runRecord("r"));
    q.requestFlush();
    await clock.advance(9);
    expect(sink.signals[0]!.aborted).toBe(false);
    await clock.advance(1);
    expect(sink.signals[0]!.aborted).toBe(true);
    sink.mode = "ok";
    await clock.advance(5);
    expect(sink.attempts).toBe(2);
    const report = await q.flush();
    expect(report.complete).toBe(true);
    expect(sink.records).toHaveLength(1);
    expect(sink.signals[0]!.aborted).toBe(true);
    const first = errors[0]!.error;
    expect(TrackerError.isInstance(first) && first.code).toBe("SINK_TIMEOUT");
    expect((first as Error).message).toMatch(
      /within 10 ms; the batch will be retried\. Check the sink, or raise sinkTimeoutMs/,
    );
  });

  it("flush({ timeout }) resolves, incomplete, while the sink is down", async () => {
    const sink = new MemorySink();
    sink.mode = "fail";
    const { q, clock } = queue(sink);
    const records = [runRecord("r"), nodeRecord("r", "a")];
    for (const r of records) q.push(r);
    const flushing = q.flush(30);
    await clock.advance(30);
    const report = await flushing;
    expect(report.complete).toBe(false);
    // Tried at 0, then after 5, 10 and 20 ms (at 5, 15 and 35): three by the timeout.
    expect(sink.attempts).toBe(3);
    expect(report.undelivered).toEqual(records);
    expect(String(report.lastError)).toContain("sink is down");
    sink.mode = "ok";
    expect((await q.flush()).complete).toBe(true);
    expect(sink.records).toEqual(records);
  });
});

describe("DeliveryQueue: overflow", () => {
  it("drops the oldest node records past capacity, never run records, and reports once", async () => {
    const sink = new MemorySink();
    sink.mode = "fail";
    const { q, drops } = queue(sink, { capacity: 5, retryInitialDelayMs: HOUR, retryMaxDelayMs: HOUR });
    const start = runRecord("r");
    const end = runRecord("r", "SUCCESS");
    q.push(start);
    for (let i = 0; i < 12; i++) q.push(nodeRecord("r", `n${i}`));
    q.push(end);
    expect(q.stats).toMatchObject({ queued: 7, queuedNodeRecords: 5, dropped: 7 });
    expect(drops).toEqual(["capacity"]);
    sink.mode = "ok";
    const report = await q.flush();
    expect(report).toMatchObject({ complete: true, dropped: 7 });
    expect(sink.records).toEqual([start, ...[7, 8, 9, 10, 11].map((i) => nodeRecord("r", `n${i}`)), end]);
  });

  it("keeps memory bounded under a sink that is down: queued node records never exceed capacity", async () => {
    const sink = new MemorySink();
    sink.mode = "fail";
    const { q } = queue(sink, { capacity: 100, batchSize: 10, retryInitialDelayMs: HOUR, retryMaxDelayMs: HOUR });
    for (let run = 0; run < 50; run++) {
      q.push(runRecord(`r${run}`));
      for (let i = 0; i < 200; i++) {
        q.push(nodeRecord(`r${run}`, `n${i}`));
        expect(q.stats.queuedNodeRecords).toBeLessThanOrEqual(100);
      }
      q.push(runRecord(`r${run}`, "FAILURE"));
      await settle(1);
    }
    const stats = q.stats;
    expect(stats.queuedNodeRecords + stats.inFlight).toBeLessThanOrEqual(110);
    // Every run record is still there.
    const report = q.report();
    expect(report.undelivered.filter((r) => r.type === "run")).toHaveLength(100);
    // Every node record is either still held or counted as dropped.
    expect(stats.dropped + report.undelivered.filter((r) => r.type === "node_run").length).toBe(50 * 200);
  });
});

describe("DeliveryQueue: the process lives while a flush is awaited, not otherwise", () => {
  it("keeps the event loop alive (referenced timers) while a flush is awaited, and only then", async () => {
    const sink = new MemorySink();
    sink.mode = "fail"; // retryable: the queue backs off and retries
    const { q, clock } = queue(sink, { retryInitialDelayMs: 100, retryMaxDelayMs: 100, flushIntervalMs: 1 });
    q.push(runRecord("r"));
    // The flush interval's timer does not hold the process.
    expect(clock.pending).toBe(1);
    expect(clock.referenced).toBe(0);
    await clock.advance(1);
    expect(sink.attempts).toBe(1);
    // Background retrying: the backoff and the watchdog are pending, nothing keeps the process alive.
    expect(clock.pending).toBeGreaterThan(0);
    expect(clock.referenced).toBe(0);
    const flushing = q.flush(500);
    await settle();
    expect(sink.attempts).toBe(2);
    // Awaited: the flush's own timeout and the retry's backoff are referenced.
    expect(clock.referenced).toBe(2);
    await clock.advance(500);
    const report = await flushing;
    expect(report.complete).toBe(false);
    const closing = q.close(10);
    await clock.advance(10);
    await closing;
    expect(clock.pending).toBe(0);
  });
});

describe("DeliveryQueue: a write that hangs while nothing else goes on", () => {
  it(`is abandoned after ${IDLE_WRITE_LIMIT_MS} ms while idle and no flush is awaited, and retried`, async () => {
    const sink = new MemorySink();
    sink.mode = "hang";
    let idle = false;
    const { q, clock, errors } = queue(sink, { isIdle: () => idle });
    q.push(runRecord("r"));
    q.requestFlush();
    await settle();
    // A run is in progress: the watchdog lets the write be.
    await clock.advance(IDLE_WRITE_LIMIT_MS);
    expect(sink.signals[0]!.aborted).toBe(false);
    idle = true;
    await clock.advance(IDLE_WRITE_LIMIT_MS - 1);
    expect(sink.signals[0]!.aborted).toBe(false);
    await clock.advance(1);
    expect(sink.signals[0]!.aborted).toBe(true);
    expect(String(errors[0]!.error)).toMatch(
      /while no run was in progress and no flush\(\) was awaited; the write was abandoned/,
    );
    expect(errors[0]!.willRetry).toBe(true);
    sink.mode = "ok";
    await clock.advance(5);
    expect(sink.records).toHaveLength(1);
  });
});

describe("DeliveryQueue: a slow sink while nothing else goes on", () => {
  /** A sink that needs `ms` of the fake clock per write, and honours its signal. */
  function slowSink(clock: FakeClock, ms: number) {
    const sink = { attempts: 0, delivered: [] as TrackerRecord[], signals: [] as AbortSignal[] };
    const write: TrackerSink["write"] = (_projectId, records, { signal }) => {
      sink.attempts++;
      sink.signals.push(signal);
      return new Promise<void>((resolve, reject) => {
        const timer = clock.setTimeout(() => {
          sink.delivered.push(...records);
          resolve();
        }, ms);
        signal.addEventListener("abort", () => {
          clock.clearTimeout(timer);
          reject(signal.reason);
        });
      });
    };
    return { sink, write: { write, close: async () => {} } satisfies TrackerSink };
  }

  it("abandons a batch for idleness once, then gives its next attempt the full sinkTimeoutMs", async () => {
    const clock = new FakeClock();
    const { sink, write } = slowSink(clock, 3_000);
    const { q, errors } = queue(write, { clock, sinkTimeoutMs: 30_000 });
    const records = [runRecord("r"), nodeRecord("r", "a"), runRecord("r", "SUCCESS")];
    for (const r of records) q.push(r);
    q.requestFlush();
    await settle();
    // The first attempt is abandoned after IDLE_WRITE_LIMIT_MS (nothing is going on) ...
    await clock.advance(IDLE_WRITE_LIMIT_MS);
    expect(sink.signals[0]!.aborted).toBe(true);
    // ... the retry (after 5 ms of backoff) is not: it takes its 3 s and delivers.
    await clock.advance(5 + 3_000);
    expect(sink.attempts).toBe(2);
    expect(sink.signals[1]!.aborted).toBe(false);
    expect(sink.delivered).toEqual(records);
    expect(q.stats).toMatchObject({ delivered: 3, failedWrites: 1, queued: 0, inFlight: 0 });
    expect(String(errors[0]!.error)).toMatch(/will be retried with the full sinkTimeoutMs \(30000 ms\)/);
    // Ten more minutes change nothing: no attempt was left over.
    await clock.advance(10 * 60_000);
    expect(sink.attempts).toBe(2);
    expect(errors).toHaveLength(1);
  });

  it("bounds the later attempts of an abandoned batch by sinkTimeoutMs, and watches the next batch again", async () => {
    const sink = new MemorySink();
    sink.mode = "hang";
    const { q, clock, errors } = queue(sink, { sinkTimeoutMs: 30_000, batchSize: 1 });
    q.push(runRecord("r"));
    await settle();
    await clock.advance(IDLE_WRITE_LIMIT_MS);
    expect(sink.signals[0]!.aborted).toBe(true);
    await clock.advance(5);
    expect(sink.attempts).toBe(2);
    await clock.advance(30_000 - 1);
    expect(sink.signals[1]!.aborted).toBe(false);
    await clock.advance(1);
    expect(sink.signals[1]!.aborted).toBe(true);
    expect(String(errors[1]!.error)).toMatch(/within 30000 ms; the batch will be retried/);
    // Delivered at last; the next batch is abandoned for idleness once again (a forgotten
    // shutdown() must not be held up by it for longer than IDLE_WRITE_LIMIT_MS).
    sink.mode = "ok";
    await clock.advance(10);
    expect(sink.records).toHaveLength(1);
    sink.mode = "hang";
    q.push(runRecord("s"));
    await settle();
    const next = sink.signals.length - 1;
    await clock.advance(IDLE_WRITE_LIMIT_MS);
    expect(sink.signals[next]!.aborted).toBe(true);
    expect(String(errors.at(-1)!.error)).toMatch(/while no run was in progress/);
  });
});

describe("DeliveryQueue: close", () => {
  it("delivers what is queued and says nothing is left", async () => {
    const sink = new MemorySink();
    const { q } = queue(sink);
    q.push(runRecord("r"));
    await expect(q.close(1000)).resolves.toMatchObject({ complete: true, undelivered: [] });
    expect(sink.records).toHaveLength(1);
  });

  it("gives up after the timeout, aborts the write in flight and returns what it could not deliver", async () => {
    const sink = new MemorySink();
    sink.mode = "hang";
    const { q, clock } = queue(sink);
    const records = [runRecord("r"), nodeRecord("r", "a"), runRecord("r", "SUCCESS")];
    for (const r of records) q.push(r);
    const closing = q.close(30);
    await clock.advance(29);
    expect(sink.signals[0]!.aborted).toBe(false);
    await clock.advance(1);
    const report = await closing;
    expect(report.complete).toBe(false);
    expect(report.undelivered).toEqual(records);
    expect(sink.signals[0]!.aborted).toBe(true);
  });

  it("answers a flush after a timed-out close at once, with what is still undelivered", async () => {
    const sink = new MemorySink();
    sink.mode = "hang";
    const { q, clock } = queue(sink);
    const records = [runRecord("r"), nodeRecord("r", "a")];
    for (const r of records) q.push(r);
    const closing = q.close(20);
    await clock.advance(20);
    await closing;
    // No timeout given: before the fix this never settled.
    const report = await q.flush();
    expect(report.complete).toBe(false);
    expect(report.undelivered).toEqual(records);
  });

  it("lists undelivered records in push order across node and run records", async () => {
    const sink = new MemorySink();
    sink.mode = "hang";
    const { q, clock } = queue(sink, { batchSize: 1000 });
    const records = [
      runRecord("r"),
      nodeRecord("r", "a"),
      nodeRecord("r", "b"),
      runRecord("r", "SUCCESS"),
      nodeRecord("r2", "c"),
    ];
    for (const r of records) q.push(r);
    expect(q.report().undelivered).toEqual(records);
    const closing = q.close(10);
    await clock.advance(10);
    await closing;
  });
});

describe("DeliveryQueue: byte budget", () => {
  /** A node record whose summary is about `size` characters, distinct per call. */
  function bigNode(runId: string, node: string, size: number) {
    return nodeRecord(runId, node, "SUCCESS", {
      result: { kind: "string", length: size, preview: `${node}:`.padEnd(size, "x"), truncated: false },
    });
  }

  it("holds at most byteBudget bytes under a sink that is down, dropping the oldest node records", async () => {
    const sink = new MemorySink();
    sink.mode = "fail";
    const budget = 8_000_000;
    const { q, drops, clock } = queue(sink, { byteBudget: budget, retryInitialDelayMs: HOUR, retryMaxDelayMs: HOUR });
    for (let run = 0; run < 10; run++) {
      q.push(runRecord(`r${run}`));
      for (let i = 0; i < 10; i++) {
        q.push(bigNode(`r${run}`, `n${i}`, 1_000_000));
        const { queuedBytes, inFlightBytes } = q.stats;
        expect(queuedBytes + inFlightBytes).toBeLessThanOrEqual(budget);
      }
      q.push(runRecord(`r${run}`, "FAILURE"));
      await settle(1);
    }
    const stats = q.stats;
    // 100 records of ~1 MB, a budget of 8 MB: far fewer than the count capacity (1,000) are held.
    expect(stats.queuedNodeRecords).toBeLessThan(10);
    expect(stats.dropped).toBeGreaterThan(90);
    expect(drops).toEqual(["bytes"]);
    // Run records are never dropped.
    expect(q.report().undelivered.filter((r) => r.type === "run")).toHaveLength(20);
    const closing = q.close(1);
    await clock.advance(1);
    await closing;
  });

  it("caps a batch at a quarter of the budget (at least one record), so the batch in flight stays within it", async () => {
    const sink = new MemorySink();
    const { q } = queue(sink, { byteBudget: 4_000_000, batchSize: 100 });
    // 6 × ~600 kB fit the 4 MB budget.
    for (let i = 0; i < 6; i++) q.push(bigNode("r", `n${i}`, 600_000));
    await q.flush();
    expect(sink.records).toHaveLength(6);
    // ~600 kB each, a quarter of the budget is 1 MB: one record per batch.
    expect(sink.batches.every((b) => b.length === 1)).toBe(true);
    // A record larger than a quarter of the budget still goes, alone.
    q.push(bigNode("r", "huge", 2_000_000));
    await q.flush();
    expect(sink.batches.at(-1)).toHaveLength(1);
  });
});

describe("DeliveryQueue: records set aside by a non-retryable error", () => {
  /** A sink that always rejects, for good, a batch holding the node `poison`, and stores the others. */
  class PoisonSink extends MemorySink {
    override async write(...args: Parameters<MemorySink["write"]>): Promise<void> {
      if (args[1].some((r) => r.type === "node_run" && r.node === "poison")) {
        this.attempts++;
        throw Object.assign(new Error("400: cannot store this batch"), { retryable: false });
      }
      return super.write(...args);
    }
  }

  it("sets a rejected batch aside, moves on to the next ones, and reports exactly what it set aside", async () => {
    const sink = new PoisonSink();
    const { q, errors } = queue(sink, { batchSize: 2 });
    const poisoned = [nodeRecord("r", "poison"), nodeRecord("r", "a")];
    const later = [nodeRecord("r", "b"), nodeRecord("r", "c"), runRecord("r", "SUCCESS")];
    for (const r of [...poisoned, ...later]) q.push(r);
    const report = await q.flush();
    expect(report).toMatchObject({ complete: true, rejected: 2, undelivered: [] });
    expect(report.rejectedRecords).toEqual(poisoned);
    expect(sink.records).toEqual(later);
    expect(sink.attempts).toBe(3);
    expect(errors.map((e) => e.willRetry)).toEqual([false]);
    expect(q.stats).toMatchObject({ rejected: 2, delivered: 3 });
  });

  it("sets aside only the records a partly delivered batch's error names (setAside), counting the rest delivered", async () => {
    const batch = [runRecord("r"), nodeRecord("r", "a"), nodeRecord("r", "poison"), runRecord("r", "SUCCESS")];
    const stored: TrackerRecord[] = [];
    const sink: TrackerSink = {
      async write(_projectId, records) {
        // Stores all but the poisoned record, then says so.
        stored.push(...records.filter((r) => r !== batch[2]));
        throw new TrackerError("HTTP_ERROR", "one update refused", {
          retryable: false,
          // A record that is not in the batch is ignored.
          setAside: [batch[2]!, nodeRecord("other", "x")],
        });
      },
    };
    const { q } = queue(sink, { batchSize: 4 });
    for (const r of batch) q.push(r);
    const report = await q.flush();
    expect(report).toMatchObject({ complete: true, rejected: 1, undelivered: [] });
    expect(report.rejectedRecords).toEqual([batch[2]]);
    expect(q.stats).toMatchObject({ rejected: 1, delivered: 3 });
    expect(stored).toHaveLength(3);
  });

  it("keeps only the last rejected records (1,000, and an eighth of the byte budget), counting all", async () => {
    const sink = new MemorySink();
    sink.mode = "reject";
    const { q } = queue(sink, { batchSize: 100, capacity: 10_000 });
    const records = Array.from({ length: 1_500 }, (_, i) => nodeRecord("r", `n${i}`));
    for (const r of records) q.push(r);
    const report = await q.flush();
    expect(report.rejected).toBe(1_500);
    expect(report.rejectedRecords).toEqual(records.slice(500));

    const { q: small } = queue(sink, { byteBudget: 120_000 });
    for (let i = 0; i < 20; i++)
      small.push(
        nodeRecord("r", `big${i}`, "SUCCESS", {
          result: { kind: "string", length: 4000, preview: "x".repeat(4000), truncated: false },
        }),
      );
    const smallReport = await small.flush();
    expect(smallReport.rejected).toBe(20);
    // ~4 kB each, an eighth of the budget is 15 kB: the last three.
    expect(smallReport.rejectedRecords.map((r) => (r as { node: string }).node)).toEqual(["big17", "big18", "big19"]);
  });
});
