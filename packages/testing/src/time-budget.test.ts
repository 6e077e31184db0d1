import { describe, expect, it } from "vitest";
import { MAX_LOAD_FACTOR, measureSpawnMs, QUIET_SPAWN_MS, timeBudget } from "./time-budget.js";

describe("timeBudget", () => {
  it("scales quiet-machine times by the spawn cost against a quiet machine's", async () => {
    const budget = await timeBudget({ spawnMs: QUIET_SPAWN_MS * 6, env: {} });
    expect(budget.factor).toBe(6);
    expect(budget.ms(10_000)).toBe(60_000);
  });

  it("never shrinks a budget below the quiet time, and bounds the load factor", async () => {
    expect((await timeBudget({ spawnMs: QUIET_SPAWN_MS / 4, env: {} })).ms(5_000)).toBe(5_000);
    expect((await timeBudget({ spawnMs: QUIET_SPAWN_MS * 1_000, env: {} })).factor).toBe(MAX_LOAD_FACTOR);
  });

  it("multiplies by TEST_TIME_FACTOR, and refuses a value that is not a positive number", async () => {
    const budget = await timeBudget({ spawnMs: QUIET_SPAWN_MS * 2, env: { TEST_TIME_FACTOR: "2.5" } });
    expect(budget.factor).toBe(5);
    expect((await timeBudget({ spawnMs: QUIET_SPAWN_MS, env: { TEST_TIME_FACTOR: " " } })).factor).toBe(1);
    for (const bad of ["0", "-1", "fast"])
      await expect(timeBudget({ spawnMs: QUIET_SPAWN_MS, env: { TEST_TIME_FACTOR: bad } })).rejects.toThrow(
        `TEST_TIME_FACTOR is "${bad}": set it to a positive number`,
      );
  });

  it("measures real spawns when not given a cost: the factor follows the measured median", async () => {
    const budget = await timeBudget({ env: {}, samples: 1 });
    expect(budget.spawnMs).toBeGreaterThan(0);
    expect(budget.factor).toBe(Math.min(MAX_LOAD_FACTOR, Math.max(1, budget.spawnMs / QUIET_SPAWN_MS)));
    expect(await measureSpawnMs(1)).toBeGreaterThan(0);
  });
});
