import { describe, expect, it } from "vitest";
import { runProcess } from "./run-process.js";

const node = process.execPath;

describe("runProcess", () => {
  it("resolves with stdout, stderr and the exit code once the child has ended", async () => {
    const result = await runProcess({
      command: node,
      args: ["-e", 'console.log("out"); console.error("err"); process.exitCode = 4'],
      env: { ...process.env, EXTRA: "x" },
    });
    expect(result).toEqual({ code: 4, signal: null, stdout: "out\n", stderr: "err\n", killedAfterTimeout: false });
  });

  it("shows stdout so far to onStdout, which can signal the child at a line", async () => {
    const seen: string[] = [];
    const result = await runProcess({
      command: node,
      args: [
        "-e",
        'process.on("SIGINT", () => { console.log("bye"); process.exit(130); }); console.log("step 1"); setInterval(() => {}, 1000)',
      ],
      onStdout: (stdout, child) => {
        seen.push(stdout);
        if (stdout === "step 1\n") child.kill("SIGINT");
      },
    });
    expect(result.code).toBe(130);
    expect(seen.at(-1)).toBe("step 1\nbye\n");
  });

  it("kills a child that outlives killAfterMs, and says so", async () => {
    const result = await runProcess({
      command: node,
      args: ["-e", 'console.log("hanging"); setInterval(() => {}, 1000)'],
      killAfterMs: 1,
      onStdout: () => {},
    });
    expect(result).toMatchObject({ code: null, signal: "SIGKILL", killedAfterTimeout: true });
  });

  it("rejects when the command cannot start", async () => {
    await expect(runProcess({ command: "hamilton-no-such-command" })).rejects.toThrow(/ENOENT/);
  });
});
