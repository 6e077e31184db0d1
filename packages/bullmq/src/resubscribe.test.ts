import { subscribe as onChannel, unsubscribe as offChannel } from "node:diagnostics_channel";
import { createServer, type Server, type Socket, connect as tcp } from "node:net";
import { Builder } from "@hamilton-ts/core";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as lostReply from "../test/lost-reply.js";
import { type RedisServer, startRedis } from "@hamilton-ts/testing";
import { BullMQExecutor } from "./executor.js";
import { startWorker } from "./worker.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** A SUBSCRIBE as ioredis writes it. */
const SUBSCRIBE = /^\*\d+\r\n\$9\r\nsubscribe\r\n/i;

/**
 * A TCP proxy in front of Redis that can drop every connection and then hold back what a
 * reconnected client sends from its SUBSCRIBE on (never answered, so it is in flight at close).
 */
async function startProxy(port: number) {
  const pairs = new Set<Socket>();
  let holding = false;
  let held = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server: Server = createServer((client) => {
    const upstream = tcp(port, "127.0.0.1");
    pairs.add(client);
    let stopped = false;
    client.on("data", (chunk: Buffer) => {
      if (!stopped && holding && SUBSCRIBE.test(chunk.toString("latin1"))) {
        stopped = true;
        held++;
        for (const w of waiters.filter((w) => held >= w.n)) w.resolve();
      }
      if (!stopped) upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    client.on("close", () => {
      pairs.delete(client);
      upstream.destroy();
    });
    upstream.on("close", () => client.destroy());
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    /** Drops every connection; what reconnected clients send from their SUBSCRIBE on is held. */
    dropAndHoldSubscribes() {
      holding = true;
      for (const s of pairs) s.destroy();
    },
    /** Resolves once `n` SUBSCRIBEs are held. */
    held(n: number): Promise<void> {
      return held >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

it("an executor and a worker closed while their subscriptions are on their way after a reconnection leave no unhandled rejection", async () => {
  const proxy = await startProxy(redis.port);
  // Every client socket to the proxy, to wait until each has closed (and ioredis has failed what
  // it had in flight, in its own 'close' listener) before counting unhandled rejections.
  const sockets: Socket[] = [];
  const onSocket = (message: unknown) => void sockets.push((message as { socket: Socket }).socket);
  onChannel("net.client.socket", onSocket);
  const unhandled: unknown[] = [];
  const collect = (reason: unknown) => void unhandled.push(reason);
  process.on("unhandledRejection", collect);
  try {
    const connection = { host: "127.0.0.1", port: proxy.port };
    const queueName = `resub-${Math.random().toString(36).slice(2)}`;
    const executor = new BullMQExecutor({ connection, queueName });
    const worker = await startWorker({ connection, queueName, modules: [lostReply] });
    const dr = new Builder().withModules(lostReply).withTaskExecutor(executor).build();
    expect(await dr.execute(["all"], { inputs: { xs: [1, 2] } })).toEqual({ all: [2, 4] });
    // Redis comes back to both subscribers (the executor's reply channel, the worker's abort
    // channel), whose SUBSCRIBE is then on its way when they close.
    proxy.dropAndHoldSubscribes();
    await proxy.held(2);
    await executor.close();
    await worker.close();
    await Promise.all(sockets.map((s) => (s.closed ? undefined : new Promise((resolve) => s.once("close", resolve)))));
    // Rejections left unhandled in the 'close' listeners are reported before the next turn.
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  } finally {
    process.off("unhandledRejection", collect);
    offChannel("net.client.socket", onSocket);
    await proxy.close();
  }
}, 60_000);
