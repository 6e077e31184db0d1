/**
 * SHA-256 for the engine's small, hot inputs (cache keys, entry checksums, versions): Node's
 * one-shot `crypto.hash` where the running Node has it (20.12 and later), which costs less than
 * half of a `createHash` object for a short input; `createHash` otherwise, and for large inputs,
 * which are hashed in place rather than copied into one buffer first.
 *
 * @module
 */
import * as crypto from "node:crypto";

type OneShot = (algorithm: string, data: string | ArrayBufferView, outputEncoding: string) => string | Buffer;

/** `crypto.hash`, or undefined on a Node without it. */
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;

/** Up to this many bytes, parts are copied into one buffer and hashed in one call. */
const ONE_SHOT_MAX_BYTES = 64 * 1024;

/** SHA-256 of `text` (UTF-8), 64 hex digits. */
export function sha256Hex(text: string): string {
  if (oneShot !== undefined) return oneShot("sha256", text, "hex") as string;
  return crypto.createHash("sha256").update(text).digest("hex");
}

/** SHA-256 of `prefix` (UTF-8) followed by the bytes of each part, as 32 bytes. */
export function sha256Parts(prefix: string, parts: readonly Uint8Array[]): Buffer {
  let bytes = Buffer.byteLength(prefix, "utf8");
  for (const part of parts) bytes += part.length;
  if (oneShot !== undefined && bytes <= ONE_SHOT_MAX_BYTES) {
    const all = Buffer.allocUnsafe(bytes);
    let offset = all.write(prefix, 0, "utf8");
    for (const part of parts) {
      all.set(part, offset);
      offset += part.length;
    }
    return oneShot("sha256", all, "buffer") as Buffer;
  }
  const hash = crypto.createHash("sha256").update(prefix, "utf8");
  for (const part of parts) hash.update(part);
  return hash.digest();
}
