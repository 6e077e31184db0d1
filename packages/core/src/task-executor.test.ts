import { deserialize, serialize } from "node:v8";
import type { LifecycleAdapter, RemoteTaskEvent } from "@hamilton-ts/lifecycle";
import { describe, expect, it } from "vitest";
import { collect, parallelize } from "./bindings.js";
import { Builder } from "./builder.js";
import type { Driver } from "./driver.js";
import { HamiltonError, NodeExecutionError } from "./errors.js";
import type { NodeContext } from "./modifiers.js";
import type { FanOutTask, TaskExecutor } from "./task-executor.js";

/** An executor that clones each task (as a process boundary would) and runs it on `worker`. */
function cloningExecutor(worker: () => Driver, seen: FanOutTask[] = []): TaskExecutor {
  return {
    async runTask(task, signal) {
      seen.push(task);
      const copy = deserialize(serialize(task)) as FanOutTask;
      const out = await worker().runTask(copy, { signal, worker: "test-worker:1" });
      return deserialize(serialize(out)) as Record<string, unknown>;
    },
  };
}

const built = { clients: 0 };
const dataflow = {
  client: ({ prefix }: { prefix: string }) => {
    built.clients++;
    return { say: (s: string) => `${prefix}${s}`, socketLike: () => undefined };
  },
  offset: ({ base }: { base: number }) => base * 10,
  url: parallelize(({ urls }: { urls: string[] }) => urls),
  page: async ({ url, client, offset }: { url: string; client: { say(s: string): string }; offset: number }) => {
    await new Promise((r) => setTimeout(r, url.length % 3));
    return { text: client.say(url), n: offset + url.length, when: new Date(0), tags: new Map([[url, 1n]]) };
  },
  pages: collect(({ page }: { page: { text: string; n: number }[] }) => page),
};

describe("Builder.withTaskExecutor", () => {
  it("runs every item's block on the executor and returns what the in-process run returns, in order", async () => {
    const local = new Builder().withModules(dataflow).withConfig({ prefix: "> " }).build();
    const worker = new Builder().withModules(dataflow).withConfig({ prefix: "worker's " }).build();
    const seen: FanOutTask[] = [];
    const dr = new Builder()
      .withModules(dataflow)
      .withConfig({ prefix: "> " })
      .withTaskExecutor(cloningExecutor(() => worker, seen))
      .build();
    const urls = ["a", "bbbb", "cc", "ddddd", "e"];
    const expected = await local.execute(["pages"], { inputs: { urls, base: 2 } });
    expect(await dr.execute(["pages"], { inputs: { urls, base: 2 } })).toEqual(expected);
    expect(seen.map((t) => t.taskId)).toEqual(urls.map((_, i) => `url[${i}]`));
    // The client is built on the worker (with the coordinator's config, which wins), not shipped.
    expect(seen[0]!.computedByWorker).toEqual(["client"]);
    expect(Object.keys(seen[0]!.outer)).toEqual(["offset"]);
    expect(seen[0]!.config).toEqual({ prefix: "> " });
    expect(seen[0]!.graphVersion).toBe(dr.graph.version);
    expect(seen[0]!.nodes).toEqual(["client", "page"]);
  });

  it("ships a plain-data value of a node reading only config (or nothing); computes a client on the worker", async () => {
    let draws = 0;
    const flow = {
      ...dataflow,
      drawn: () => `draw-${++draws}-${Math.random()}`,
      label: ({ prefix }: { prefix: string }) => ({ prefix, at: new Date(draws) }),
      tagged: ({ url, drawn, label }: { url: string; drawn: string; label: { prefix: string } }) =>
        `${label.prefix}${url}@${drawn}`,
      tags: collect(({ tagged }: { tagged: string[] }) => tagged),
    };
    const seen: FanOutTask[] = [];
    const worker = new Builder().withModules(flow).withConfig({ prefix: "> " }).build();
    const dr = new Builder()
      .withModules(flow)
      .withConfig({ prefix: "> " })
      .withTaskExecutor(cloningExecutor(() => worker, seen))
      .build();
    const { tags, drawn, pages } = await dr.execute(["tags", "drawn", "pages"], {
      inputs: { urls: ["a", "b", "c"], base: 1 },
    });
    // Every item saw the coordinator's draw, computed once, as in-process.
    expect(tags).toEqual(["a", "b", "c"].map((u) => `> ${u}@${drawn}`));
    expect(draws).toBe(1);
    const tagTask = seen.find((t) => t.parallelizeName === "url" && t.outputs.includes("tagged"))!;
    expect(Object.keys(tagTask.outer).sort()).toEqual(["drawn", "label", "offset"]);
    // The client (functions) cannot cross: still built by the worker.
    expect(tagTask.computedByWorker).toEqual(["client"]);
    expect(pages.map((p) => p.text)).toEqual(["> a", "> b", "> c"]);
  });

  it("refuses a task made for another graph version, and the run fails with it", async () => {
    const other = new Builder()
      .withModules({ ...dataflow, extra: () => 1 })
      .withConfig({ prefix: "" })
      .build();
    const dr = new Builder()
      .withModules(dataflow)
      .withConfig({ prefix: "" })
      .withTaskExecutor(cloningExecutor(() => other))
      .build();
    const error = await dr.execute(["pages"], { inputs: { urls: ["a"], base: 1 } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(HamiltonError.isInstance(error) && error.code).toBe("TASK_REFUSED");
    expect((error as Error).message).toContain(`graph version ${dr.graph.version}`);
  });

  it("stops at the first failure: the other tasks see the signal, the error names node and task", async () => {
    const signals: AbortSignal[] = [];
    const failing = {
      ...dataflow,
      page: async ({ url }: { url: string }, ctx: NodeContext) => {
        signals.push(ctx.signal);
        if (url === "bad") throw new TypeError("no page");
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
        return { text: url, n: 0 };
      },
    };
    const worker = new Builder().withModules(failing).withConfig({ prefix: "" }).build();
    const dr = new Builder()
      .withModules(failing)
      .withConfig({ prefix: "" })
      .withTaskExecutor(cloningExecutor(() => worker))
      .build();
    const error = await dr.execute(["pages"], { inputs: { urls: ["a", "b", "bad", "c"], base: 1 } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NodeExecutionError);
    expect((error as NodeExecutionError).nodeName).toBe("page");
    expect((error as NodeExecutionError).taskId).toBe("url[2]");
    expect(((error as Error).cause as Error).name).toBe("TypeError");
    expect(signals.filter((s) => s.aborted)).toHaveLength(4);
  });

  it("hands each adapter on the worker the run context its namesake exported on the coordinator", async () => {
    const remote: Array<Omit<RemoteTaskEvent, "graph">> = [];
    const nodeRuns: string[] = [];
    class Ctx implements LifecycleAdapter {
      constructor(readonly side: string) {}
      exportRunContext(event: { runId: string }) {
        return { from: this.side, runId: event.runId };
      }
      async wrapRemoteTask(event: RemoteTaskEvent, next: () => Promise<unknown>) {
        const { graph: _graph, ...rest } = event;
        remote.push(rest);
        return next();
      }
      afterNodeExecution(event: { runId: string; node: { name: string }; taskId: string | undefined }) {
        nodeRuns.push(`${this.side} ${event.node.name} ${event.taskId} ${event.runId}`);
      }
    }
    const worker = new Builder().withModules(dataflow).withConfig({ prefix: "" }).withAdapters(new Ctx("w")).build();
    let runId = "";
    const dr = new Builder()
      .withModules(dataflow)
      .withConfig({ prefix: "" })
      .withAdapters(new Ctx("c"), { beforeGraphExecution: (e) => void (runId = e.runId) })
      .withTaskExecutor(cloningExecutor(() => worker))
      .build();
    await dr.execute(["pages"], { inputs: { urls: ["a", "b"], base: 1 } });
    expect(remote).toEqual([
      { runId, taskId: "url[0]", runContext: { from: "c", runId }, worker: "test-worker:1", attempt: 1 },
      { runId, taskId: "url[1]", runContext: { from: "c", runId }, worker: "test-worker:1", attempt: 1 },
    ]);
    expect(nodeRuns).toContain(`w page url[0] ${runId}`);
    expect(nodeRuns).toContain(`c pages undefined ${runId}`);
  });

  it("rejects an executor without runTask, saying what it needs", () => {
    expect(() => new Builder().withTaskExecutor({} as TaskExecutor)).toThrow(/runTask\(task, signal\)/);
  });
});
