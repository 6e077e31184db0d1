import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { startRedis } from "./redis.js";

/** Sends one inline command and resolves with the first reply line. */
function command(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    socket.on("error", reject);
    socket.setEncoding("utf8").on("data", (chunk: string) => {
      reply += chunk;
      if (reply.includes("\r\n")) {
        socket.end();
        resolve(reply.split("\r\n")[0]!);
      }
    });
    socket.write(`${text}\r\n`);
  });
}

describe("startRedis", () => {
  it("answers on its port once started, and no longer after stop()", async () => {
    const redis = await startRedis();
    expect(await command(redis.port, "PING")).toBe("+PONG");
    expect(await command(redis.port, "CONFIG GET save")).toBe("*2");
    await redis.stop();
    await expect(command(redis.port, "PING")).rejects.toThrow(/ECONNREFUSED/);
  });

  it("two servers get two ports; kill() ends one at once", async () => {
    const [a, b] = await Promise.all([startRedis(), startRedis()]);
    expect(a.port).not.toBe(b.port);
    await a.kill();
    await expect(command(a.port, "PING")).rejects.toThrow(/ECONNREFUSED/);
    expect(await command(b.port, "PING")).toBe("+PONG");
    await b.stop();
  });
});
