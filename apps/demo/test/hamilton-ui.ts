/**
 * A Hamilton UI stand-in for the demo's tests: `@hamilton-ts/testing`'s fake Hamilton UI (the
 * tracking protocol as the real backend keeps it, the routes a client uses after a lost answer
 * included) with one project, accepting any user and key, recording every request.
 */
import { FakeHamiltonUI, type LoggedRequest } from "@hamilton-ts/testing";

/** One request the server received (`path` without the query string, e.g. `/api/v1/dag_runs`). */
export type UIRequest = LoggedRequest;

/** A running Hamilton UI stand-in. */
export interface HamiltonUIStandIn {
  /** The base URL, for `HAMILTON_API_URL`. */
  readonly url: string;
  readonly requests: readonly UIRequest[];
  /** The id the server gave the first run created (undefined before one was). */
  readonly dagRunId: number | undefined;
  close(): Promise<void>;
}

/** Starts the stand-in; `projectId` is the one project that exists. */
export async function startHamiltonUI(projectId: number): Promise<HamiltonUIStandIn> {
  const server = new FakeHamiltonUI({ projects: [projectId], anyCredentials: true });
  await server.start();
  return {
    url: server.baseUrl,
    requests: server.requests,
    get dagRunId() {
      return [...server.runs.keys()][0];
    },
    close: () => server.stop(),
  };
}
