import type { IncomingMessage } from "node:http";
import { gunzip } from "node:zlib";
import { HttpError } from "./http-error.js";

/** The default limit of a request body, before and after gzip: 16 MB. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Reads a request's body, up to `maxBytes` (a larger body is a 413, checked on `content-length`
 * first and while reading), and gunzips it when `content-encoding` is `gzip` (the unpacked size is
 * limited the same way; a broken gzip stream is a 400).
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(413, `The request body is larger than the server's limit of ${maxBytes} bytes (maxBodyBytes).`);
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks);
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
  try {
    return JSON.parse(text);
  } catch (error) {
    // Python's json.dumps (the async hamilton_sdk sends through it) writes NaN, Infinity and
    // -Infinity for such floats; the Hamilton UI backend's parser takes them. Read them as null.
    const rewritten = nonFiniteToNull(text);
    if (rewritten !== undefined) {
      try {
        return JSON.parse(rewritten);
      } catch {
        // Not valid for another reason: report the first error.
      }
    }
    throw new HttpError(400, `${what}: the body is not valid JSON (${(error as Error).message}).`);
  }
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
