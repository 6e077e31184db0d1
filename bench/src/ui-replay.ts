/**
 * The load generator of the `ui/ingest/…` capacity figures, run as a child process of the bench
 * (`fork`), so that sending requests does not share the server's event loop or core: it replays
 * request scripts — the exact requests a real client sent (`HamiltonUIClient`, the OTLP proto
 * exporter), captured by the bench — against a running `hamilton-ts-ui`, `lanes` scripts at a
 * time, each lane on its own keep-alive connection sending its script's requests one after
 * another (as one client process does). Every answer must be 2xx. It answers with the wall time
 * from the first request sent to the last answer received.
 *
 * A request's path may hold `{name}`: the `id` of the JSON answer of an earlier request of the
 * same script (or of the setup) saved under that name (`saveAs`), as a client uses the dag_run id
 * the server handed out.
 */
import { connect, type Socket } from "node:net";

/** One request of a script. */
export interface ReplayRequest {
  readonly method: "GET" | "POST" | "PUT";
  /** Path and query; `{name}` is replaced by a saved id. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
  /** Save the answer's `id` under this name. */
  readonly saveAs?: string;
}

/** What the bench sends the child. */
export interface ReplayJob {
  /** The server, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Sent first, in order, on one connection; its saved ids are seen by every script. */
  readonly setup: readonly ReplayRequest[];
  /** Scripts replayed `lanes` at a time. */
  readonly scripts: readonly (readonly ReplayRequest[])[];
  readonly lanes: number;
  /** When set, script `i` starts no earlier than `i × paceMs` after the setup (a paced load, not the most it can). */
  readonly paceMs?: number;
}

/** What the child answers. */
export type ReplayResult = { readonly ms: number; readonly requests: number } | { readonly error: string };

/**
 * One keep-alive HTTP/1.1 connection that sends one request at a time, as bytes made beforehand,
 * and reads the answer's status and body (the server answers with content-length). A load
 * generator as cheap as can be (like wrk), so the figure is the server's.
 */
class Connection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: { resolve: (answer: { status: number; text: string }) => void; reject: (error: Error) => void } | undefined;

  constructor(base: URL) {
    this.#socket = connect({ host: base.hostname, port: Number(base.port) });
    this.#socket.setNoDelay(true);
    this.#socket.on("data", (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    this.#socket.on("error", (error) => this.#waiting?.reject(error));
    this.#socket.on("close", () => this.#waiting?.reject(new Error("replay: the server closed the connection")));
  }

  #parse(): void {
    const end = this.#buffer.indexOf("\r\n\r\n");
    if (end < 0 || this.#waiting === undefined) return;
    const head = this.#buffer.toString("latin1", 0, end);
    const status = Number(head.slice(9, 12));
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
    if (!Number.isFinite(length)) {
      this.#waiting.reject(new Error(`replay: an answer without content-length: ${head.slice(0, 200)}`));
      return;
    }
    if (this.#buffer.length < end + 4 + length) return;
    const text = this.#buffer.toString("utf8", end + 4, end + 4 + length);
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting.resolve({ status, text });
  }

  send(bytes: Buffer): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#socket.write(bytes);
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** The bytes of a request (path ids filled in). */
function requestBytes(base: URL, r: ReplayRequest, ids: Map<string, number>): Buffer {
  const path = r.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const id = ids.get(name);
    if (id === undefined) throw new Error(`replay: no id saved as "${name}" before ${r.method} ${r.path}`);
    return String(id);
  });
  let head = `${r.method} ${path} HTTP/1.1\r\nhost: ${base.host}\r\nconnection: keep-alive\r\n`;
  for (const [name, value] of Object.entries(r.headers)) head += `${name}: ${value}\r\n`;
  const body = r.body === undefined ? undefined : Buffer.from(r.body);
  head += `content-length: ${body?.length ?? 0}\r\n\r\n`;
  return body === undefined ? Buffer.from(head, "latin1") : Buffer.concat([Buffer.from(head, "latin1"), body]);
}

async function play(
  connection: Connection,
  base: URL,
  script: readonly ReplayRequest[],
  ids: Map<string, number>,
): Promise<void> {
  for (const r of script) {
    const { status, text } = await connection.send(requestBytes(base, r, ids));
    if (status < 200 || status >= 300)
      throw new Error(`replay: ${r.method} ${r.path} answered ${status}: ${text.slice(0, 300)}`);
    if (r.saveAs !== undefined) ids.set(r.saveAs, (JSON.parse(text) as { id: number }).id);
  }
}

/** Replays a job; resolves with the wall time of the whole of it. */
export async function replay(job: ReplayJob): Promise<{ ms: number; requests: number }> {
  const base = new URL(job.url);
  const shared = new Map<string, number>();
  const started = performance.now();
  const setup = new Connection(base);
  await play(setup, base, job.setup, shared);
  setup.close();
  const paced = performance.now();
  let next = 0;
  const lane = async () => {
    const connection = new Connection(base);
    try {
      for (let i = next++; i < job.scripts.length; i = next++) {
        const wait = job.paceMs === undefined ? 0 : paced + i * job.paceMs - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await play(connection, base, job.scripts[i]!, new Map(shared));
      }
    } finally {
      connection.close();
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.lanes, job.scripts.length) }, lane));
  const ms = performance.now() - started;
  return { ms, requests: job.setup.length + job.scripts.reduce((n, s) => n + s.length, 0) };
}

// As a child process: one job per message, one answer each.
if (process.send !== undefined) {
  process.on("message", (job: ReplayJob) => {
    replay(job).then(
      (result) => process.send!(result satisfies ReplayResult),
      (error: unknown) => process.send!({ error: (error as Error)?.stack ?? String(error) } satisfies ReplayResult),
    );
  });
}
