import type { IncomingMessage } from "node:http";
import { gunzip } from "node:zlib";
import { HttpError } from "./http-error.js";

/** The default limit of a request body, before and after gzip: 16 MB. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** How fast a body must arrive: `minBytesPerSecond` on average once `graceMs` have passed. */
export interface BodyPace {
  readonly minBytesPerSecond: number;
  readonly graceMs: number;
}

/**
 * Reads a request's body, up to `maxBytes` (a larger body is a 413, checked on `content-length`
 * first and while reading), and gunzips it when `content-encoding` is `gzip` (the unpacked size is
 * limited the same way; a broken gzip stream is a 400). With a `pace`, a body that arrives slower
 * than `pace.minBytesPerSecond` on average, after a grace of `pace.graceMs`, is a 408 (a client
 * dripping bytes holds a connection no longer than that). A refused body is left unread: the
 * answer closes the connection.
 */
export async function readBody(req: IncomingMessage, maxBytes: number, pace?: BodyPace): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(413, `The request body is larger than the server's limit of ${maxBytes} bytes (maxBodyBytes).`);
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const started = performance.now();
    const finish = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
      if (error === undefined) return resolve(Buffer.concat(chunks, size));
      req.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return finish(tooLarge());
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onError = (error: Error) => finish(error);
    const onClose = () => finish(new Error("The client closed the connection before the request body ended."));
    const check = () => {
      const allowed = pace!.graceMs + (size / pace!.minBytesPerSecond) * 1000;
      const elapsed = performance.now() - started;
      if (elapsed < allowed) {
        timer = setTimeout(check, allowed - elapsed + 1);
        timer.unref();
        return;
      }
      finish(
        new HttpError(
          408,
          `The request body arrived too slowly: ${size} bytes in ${Math.round(elapsed)} ms, below the server's minimum of ${pace!.minBytesPerSecond} bytes/s after ${pace!.graceMs} ms (minBodyBytesPerSecond).`,
        ),
      );
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
    if (pace !== undefined) {
      timer = setTimeout(check, pace.graceMs);
      timer.unref();
    }
  });
  const encoding = String(req.headers["content-encoding"] ?? "identity").toLowerCase();
  if (encoding === "identity" || raw.length === 0) return raw;
  if (encoding !== "gzip") {
    throw new HttpError(415, `Content-Encoding "${encoding}" is not supported; send the body plain or gzip.`);
  }
  return new Promise((resolve, reject) => {
    gunzip(raw, { maxOutputLength: maxBytes }, (error, out) => {
      if (error === null) return resolve(out);
      if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") return reject(tooLarge());
      reject(new HttpError(400, `The body is not valid gzip (${error.message}).`));
    });
  });
}

/** Parses a JSON body; anything else is a 400 that says where it broke. */
export function parseJson(body: Buffer, what: string): unknown {
  if (body.length === 0) throw new HttpError(400, `${what}: the body is empty; expected JSON.`);
  const text = body.toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Python's json.dumps (the async hamilton_sdk sends through it) writes NaN, Infinity and
    // -Infinity for such floats; the Hamilton UI backend's parser takes them. Read them as null.
    const rewritten = nonFiniteToNull(text);
    if (rewritten === undefined) throw notJson(what, error);
    try {
      value = JSON.parse(rewritten);
    } catch {
      throw notJson(what, error); // Not valid for another reason: report the first error.
    }
  }
  if (isNestedDeeperThan(value, MAX_JSON_DEPTH)) {
    throw new HttpError(
      400,
      `${what}: the body's JSON is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects, the most the server reads. Send flatter values.`,
    );
  }
  return value;
}

const notJson = (what: string, error: unknown) =>
  new HttpError(400, `${what}: the body is not valid JSON (${(error as Error).message}).`);

/**
 * The deepest nesting of arrays and objects a JSON body may have. `JSON.parse` reads any depth, but
 * what walks the value afterwards (`JSON.stringify` when the record is written, summaries) runs out
 * of stack at a few thousand levels: such a body is a 400 before anything touches it.
 */
export const MAX_JSON_DEPTH = 512;

/**
 * True when `value` has arrays and objects nested more than `max` levels deep. Walks with its own stack (never the call stack); visits arrays and objects only,
 * so it costs a few percent of the `JSON.parse` that made the value.
 */
export function isNestedDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  const stack: object[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const depth = depths.pop()!;
    if (depth > max) return true;
    if (Array.isArray(item)) {
      for (let i = 0; i < item.length; i++) {
        const child: unknown = item[i];
        if (typeof child === "object" && child !== null) {
          stack.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in item) {
        const child: unknown = (item as Record<string, unknown>)[key];
        if (typeof child === "object" && child !== null) {
          stack.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}

/**
 * `text` with the bare tokens `NaN`, `Infinity` and `-Infinity` outside strings replaced by
 * `null`, or undefined when it has none. One pass; strings (with their escapes) are copied as they are.
 */
export function nonFiniteToNull(text: string): string | undefined {
  let out = "";
  let from = 0;
  let found = false;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < text.length) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      i++;
      continue;
    }
    const token = text.startsWith("NaN", i)
      ? "NaN"
      : text.startsWith("Infinity", i)
        ? "Infinity"
        : text.startsWith("-Infinity", i)
          ? "-Infinity"
          : undefined;
    if (token !== undefined) {
      out += `${text.slice(from, i)}null`;
      i += token.length;
      from = i;
      found = true;
      continue;
    }
    i++;
  }
  return found ? out + text.slice(from) : undefined;
}
