import { describe, expect, it } from "vitest";
import { ProcessNotReadyError, startReadyProcess } from "./ready-process.js";

const node = process.execPath;

describe("startReadyProcess", () => {
  it("resolves once the ready line is printed, even when it arrives in pieces, and stops the child", async () => {
    const child = await startReadyProcess({
      command: node,
      args: [
        "-e",
        'process.stdout.write("rea"); setTimeout(() => process.stdout.write("dy on 42\\n"), 20); setInterval(() => {}, 1000)',
      ],
      ready: /ready on (\d+)/,
    });
    expect(child.stdout()).toContain("ready on 42");
    expect(child.child.exitCode).toBeNull();
    const exit = await child.stop();
    expect(exit).toEqual({ code: null, signal: "SIGTERM" });
  });

  it("resolves on an IPC message the ready function accepts, not on another one", async () => {
    const child = await startReadyProcess({
      command: node,
      args: ["-e", "process.send({ step: 1 }); process.send({ ready: true }); setInterval(() => {}, 1000)"],
      ready: (message) => (message as { ready?: boolean }).ready === true,
    });
    expect(child.pid).toBeGreaterThan(0);
    expect((await child.kill()).signal).toBe("SIGKILL");
  });

  it("rejects with the child's stderr when it exits before it is ready", async () => {
    const error = await startReadyProcess({
      command: node,
      args: ["-e", 'console.log("starting"); console.error("no config file"); process.exit(3)'],
      ready: "listening",
      name: "the worker",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessNotReadyError);
    expect((error as Error).message).toBe("the worker exited with code 3 before it was ready:\nno config file");
    expect((error as ProcessNotReadyError).exit).toEqual({ code: 3, signal: null });
    expect((error as ProcessNotReadyError).output).toContain("starting");
  });

  it("rejects with the install hint when the command does not exist", async () => {
    const error = await startReadyProcess({
      command: "hamilton-no-such-command",
      ready: "ready",
      installHint: "install it with apt-get",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessNotReadyError);
    expect((error as Error).message).toMatch(
      /^hamilton-no-such-command could not be started \(.*ENOENT.*\); install it with apt-get$/,
    );
  });

  it("stop() after the child exited on its own resolves with how it ended", async () => {
    const child = await startReadyProcess({
      command: node,
      args: ["-e", 'console.log("ready"); process.exitCode = 0'],
      ready: "ready",
    });
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(await child.stop()).toEqual({ code: 0, signal: null });
  });
});
