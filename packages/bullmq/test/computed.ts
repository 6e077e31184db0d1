/**
 * A fan-out reading two nodes that read only config (or nothing): a plain-data draw, which
 * travels, and a class-instance client, which cannot and is built on the worker.
 */
import { collect, parallelize } from "@hamilton-ts/core";

/** Counts the draws and clients built in this process (a global: a module's exports are its nodes). */
const counts = ((globalThis as { bullmqTestCounts?: { draws: number; clients: number } }).bullmqTestCounts ??= {
  draws: 0,
  clients: 0,
});

class ApiClient {
  constructor(readonly prefix: string) {}
  tag(s: string): string {
    return `${this.prefix}:${s}`;
  }
}

export const batchId = () => `batch-${++counts.draws}-${Math.random().toString(36).slice(2)}`;
export const apiClient = ({ prefix }: { prefix: string }) => {
  counts.clients++;
  return new ApiClient(prefix);
};
export const x = parallelize(({ xs }: { xs: number[] }) => xs);
export const tagged = ({ x, batchId, apiClient }: { x: number; batchId: string; apiClient: ApiClient }) =>
  apiClient.tag(`${x}@${batchId}`);
export const all = collect(({ tagged }: { tagged: string }) => tagged);
