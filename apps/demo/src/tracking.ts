/**
 * The Hamilton-UI-style tracker for the demo: a `HamiltonTracker` whose records go to a Hamilton
 * UI (`HamiltonUIClient`) or to the local `FileSink` store.
 */
import { FileSink, HamiltonTracker, HamiltonUIClient } from "@hamilton-ts/tracker";
import type { DeliveryReport } from "@hamilton-ts/tracker";
import type { TrackerDestination } from "./config.js";

/** The tracker, ready to be given to the driver. */
export interface Tracking {
  readonly tracker: HamiltonTracker;
  /** One line saying where records go. */
  readonly description: string;
  /** Where one run's records are, once delivered: a file, or a Hamilton UI page. */
  where(runId: string): string;
  /** The run's page in the Hamilton UI the records went to; undefined for the local store (or no link). */
  runUrl(runId: string): string | undefined;
  /** Delivers what is queued; resolves with what could not be delivered (never rejects). */
  flush(): Promise<DeliveryReport>;
  /** Delivers what is left and closes the sink. */
  shutdown(): Promise<DeliveryReport>;
}

/** The tracker could not start: the Hamilton UI refused the user, has no such project, or is unreachable. */
export class TrackingSetupError extends Error {
  override readonly name = "TrackingSetupError";
}

/** How long flushing may take before the demo reports what is still undelivered. */
const FLUSH_TIMEOUT_MS = 10_000;

/**
 * Creates the tracker. For a Hamilton UI it first checks the credentials and the project, so a
 * wrong setting fails before the run with a message that says which.
 */
export async function startTracking(
  destination: TrackerDestination,
  options: { dagName: string; tags?: Record<string, string> },
): Promise<Tracking> {
  let sink: HamiltonUIClient | FileSink;
  let description: string;
  let where: (runId: string) => string;
  let runUrl: (runId: string) => string | undefined = () => undefined;
  if (destination.kind === "hamilton-ui") {
    const client = new HamiltonUIClient({
      baseUrl: destination.apiUrl,
      apiKey: destination.apiKey,
      username: destination.username,
      uiUrl: destination.uiUrl,
    });
    try {
      await client.verify(destination.projectId);
    } catch (error) {
      throw new TrackingSetupError(error instanceof Error ? error.message : String(error), { cause: error });
    }
    sink = client;
    description = `Hamilton UI at ${client.baseUrl} (project ${destination.projectId}, user ${destination.username})`;
    runUrl = (runId) => client.runUrl(destination.projectId, runId);
    where = (runId) => {
      const url = runUrl(runId);
      return url ? `run ${runId} → ${url}` : `run ${runId} (not created in the Hamilton UI: see the warnings above)`;
    };
  } else {
    const files = new FileSink({ dir: destination.dir });
    sink = files;
    description = `local store (FileSink) in ${files.dir}`;
    where = (runId) => files.runFile(destination.projectId, runId);
  }
  const tracker = new HamiltonTracker({
    projectId: destination.projectId,
    username: destination.username,
    dagName: options.dagName,
    tags: options.tags,
    sink,
  });
  return {
    tracker,
    description,
    where,
    runUrl,
    flush: () => tracker.flush({ timeoutMs: FLUSH_TIMEOUT_MS }),
    shutdown: () => tracker.shutdown({ timeoutMs: FLUSH_TIMEOUT_MS }),
  };
}
