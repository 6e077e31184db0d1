/**
 * The server's retention (`startUi({ retainDays })`, `hamilton-ts-ui --retain-days N`): at start
 * and then every hour, the finished runs that started more than `retainDays` days ago are deleted
 * with `pruneRuns` (embedded: their files too). A sweep that fails is reported as a process warning
 * and tried again at the next one.
 */
import type { ReadSource } from "./read-routes.js";
import { pruneRuns } from "./sql/delete.js";
import { DAY_MS } from "./sql/ingest.js";

/** How often the retention sweep runs. */
export const RETENTION_SWEEP_MS = 60 * 60 * 1000;

/** A running retention sweep. */
export interface RetentionSweep {
  /** Resolves once the sweep under way (if any) is done; none starts after. */
  stop(): Promise<void>;
}

/**
 * Starts sweeping `source` for runs older than `retainDays` days; the first sweep waits for
 * `caughtUp` (what the store held at start is indexed).
 */
export function startRetention(source: ReadSource, retainDays: number, caughtUp: () => Promise<void>): RetentionSweep {
  let running: Promise<void> | undefined;
  let stopped = false;
  const sweep = () => {
    if (stopped || running !== undefined) return;
    running = (async () => {
      try {
        await caughtUp();
        await source.settled();
        await pruneRuns(
          {
            db: source.db,
            backend: source.backend,
            ...(source.deleteRunFile === undefined
              ? {}
              : { deleteRunFile: (projectId: string, runId: string) => source.deleteRunFile!(projectId, runId) }),
          },
          { olderThanMs: retainDays * DAY_MS },
        );
      } catch (error) {
        if (!stopped)
          process.emitWarning(`hamilton-ts-ui: the retention sweep failed: ${(error as Error)?.message ?? error}`);
      } finally {
        running = undefined;
      }
    })();
  };
  const timer = setInterval(sweep, RETENTION_SWEEP_MS);
  timer.unref();
  sweep();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
