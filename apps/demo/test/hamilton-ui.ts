/**
 * A Hamilton UI stand-in for tests: the tracker's HTTP protocol (as the Hamilton SDK speaks it)
 * on 127.0.0.1, recording every request.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the server received. */
export interface UIRequest {
  readonly method: string;
  /** The path without the query string, e.g. `/api/v1/dag_runs`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
}

/** A running Hamilton UI stand-in. */
export interface FakeHamiltonUI {
  /** The base URL, for `HAMILTON_API_URL`. */
  readonly url: string;
  readonly requests: UIRequest[];
  /** The id the server gives the run it creates. */
  readonly dagRunId: number;
  close(): Promise<void>;
}

const TEMPLATE_ID = 11;
const DAG_RUN_ID = 42;

/** Starts the stand-in; `projectId` is the one project that exists. */
export async function startHamiltonUI(projectId: number): Promise<FakeHamiltonUI> {
  const requests: UIRequest[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8").on("data", (c: string) => (text += c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const path = url.pathname.replace(/\/+$/, "");
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      requests.push({
        method: req.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      });
      const reply = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
      };
      const route = `${req.method} ${path}`;
      if (route === "GET /api/v1/phone_home") return reply(200, { success: true, message: "hello" });
      if (route === `GET /api/v1/projects/${projectId}`) return reply(200, { id: projectId, name: "demo project" });
      if (/^GET \/api\/v1\/projects\/\d+$/.test(route)) return reply(404, { detail: "Not Found" });
      if (route === "GET /api/v1/dag_templates/exists") return reply(200, null);
      if (route === "POST /api/v1/dag_templates") return reply(200, { id: TEMPLATE_ID });
      if (route === "POST /api/v1/dag_runs") return reply(200, { id: DAG_RUN_ID });
      if (route === "PUT /api/v1/dag_runs_bulk") return reply(200, {});
      if (route === `PUT /api/v1/dag_runs/${DAG_RUN_ID}`) return reply(200, { id: DAG_RUN_ID });
      reply(404, { detail: `no route ${route}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    dagRunId: DAG_RUN_ID,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
