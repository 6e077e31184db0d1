/**
 * Time budgets for tests that run whole processes (a CLI, a demo, workers), which take seconds on
 * a quiet machine and many times that on a busy one. A fixed timeout either fails on a busy machine
 * or waits far too long for a hang on a quiet one; a budget scales a quiet machine's time by how
 * slow the machine is now — what a trivial `node -e ""` spawn costs at the start of the test file,
 * against {@link QUIET_SPAWN_MS} — and by `TEST_TIME_FACTOR` (for a machine slower than that
 * measure shows, or a debugger). The budget bounds a hang; it never judges speed: timed
 * assertions belong in `pnpm bench`.
 */
import { spawn } from "node:child_process";

/** What spawning `node -e ""` until it exits costs on a quiet 2-core machine, ms. */
export const QUIET_SPAWN_MS = 50;
/** The most a measured load scales a budget by (a bound for a hang still fails the test). */
export const MAX_LOAD_FACTOR = 40;

/** A time budget: how slow the machine is now, and quiet-machine times scaled by it. */
export interface TimeBudget {
  /** The median of the `node -e ""` spawns measured, ms. */
  readonly spawnMs: number;
  /** `max(1, spawnMs ÷ QUIET_SPAWN_MS)` (at most {@link MAX_LOAD_FACTOR}) × `TEST_TIME_FACTOR`. */
  readonly factor: number;
  /** `quietMs` (what the work takes on a quiet machine, with room to spare) × `factor`, rounded up. */
  ms(quietMs: number): number;
}

/** Options of {@link timeBudget}. */
export interface TimeBudgetOptions {
  /** How many spawns to measure (default 3); the median counts. */
  readonly samples?: number;
  /** Where `TEST_TIME_FACTOR` is read (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** A spawn cost to use instead of measuring one, ms. */
  readonly spawnMs?: number;
}

/** The wall time of one `node -e ""`, from spawn to exit, ms. */
function spawnOnce(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    child.on("error", reject);
    child.on("close", () => resolve(performance.now() - started));
  });
}

/** The median wall time of `samples` `node -e ""` spawns, one after another, ms. */
export async function measureSpawnMs(samples = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push(await spawnOnce());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * Measures the machine now and returns the budget: call it once at the top of a test file
 * (`const budget = await timeBudget()`) and give each whole-process test
 * `{ timeout: budget.ms(quietMs) }`. Throws when `TEST_TIME_FACTOR` is not a positive number.
 */
export async function timeBudget(options: TimeBudgetOptions = {}): Promise<TimeBudget> {
  const env = options.env ?? process.env;
  const raw = env.TEST_TIME_FACTOR;
  const extra = raw === undefined || raw.trim() === "" ? 1 : Number(raw);
  if (!Number.isFinite(extra) || extra <= 0)
    throw new Error(
      `TEST_TIME_FACTOR is ${JSON.stringify(raw)}: set it to a positive number (2 doubles every process test's budget), or unset it.`,
    );
  const spawnMs = options.spawnMs ?? (await measureSpawnMs(options.samples ?? 3));
  const load = Math.min(MAX_LOAD_FACTOR, Math.max(1, spawnMs / QUIET_SPAWN_MS));
  const factor = load * extra;
  return { spawnMs, factor, ms: (quietMs) => Math.ceil(quietMs * factor) };
}
