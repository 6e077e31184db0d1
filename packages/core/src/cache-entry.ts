/**
 * What one cache entry holds and how it becomes bytes: the node's value as a structured clone
 * (`v8.serialize`, so `Date`, `Map`, `Set` and typed arrays come back as themselves) and the
 * warnings the node gave when it ran, replayed on a hit, and the run that stored it (a hit's
 * `cacheFromRun`).
 *
 * @module
 */
import { deserialize, serialize } from "node:v8";
import { type CodecFailure, fromStored, toStorable } from "./codecs.js";

/** One cached node result. */
export interface CacheEntry {
  /** What the node function returned. */
  readonly value: unknown;
  /** The warnings the node gave (`ctx.warn`) when it ran. */
  readonly warnings: readonly string[];
  /** The value's data version (its fingerprint), so a hit needs no fingerprinting. */
  readonly version: string;
  /** The run id of the run that stored the entry; undefined in entries written before it was kept. */
  readonly run: string | undefined;
  /** When it was written (milliseconds since the epoch): `withCache({ maxAgeMs })` reads an older entry as a miss. */
  readonly storedAt: number;
}

/**
 * The entry format's version. An entry of another version (1: before `storedAt` and codecs) reads
 * as a miss, never as a wrong hit, whatever store it comes from; the next run replaces it.
 */
export const ENTRY_FORMAT = 2;

/**
 * The entry as bytes; throws when the value cannot be cloned (a function, a symbol), or a
 * {@link CodecFailure} when a codec throws. `codecs`: the value holds instances of registered
 * classes, stored through their codecs ({@link toStorable}).
 */
export function encodeEntry(entry: CacheEntry, codecs = false): Uint8Array {
  return serialize({
    format: ENTRY_FORMAT,
    codecs,
    value: codecs ? toStorable(entry.value) : entry.value,
    warnings: entry.warnings,
    version: entry.version,
    run: entry.run,
    storedAt: entry.storedAt,
  });
}

/**
 * The entry in `bytes`, or `undefined` when they are not one (corrupt, or another format);
 * throws a {@link CodecFailure} when a codec cannot give an instance back.
 */
export function decodeEntry(bytes: Uint8Array): CacheEntry | undefined {
  let decoded: unknown;
  try {
    decoded = deserialize(bytes);
  } catch {
    return undefined;
  }
  if (typeof decoded !== "object" || decoded === null) return undefined;
  const { format, codecs, value, warnings, version, run, storedAt } = decoded as Record<string, unknown>;
  if (format !== ENTRY_FORMAT || typeof version !== "string" || !Array.isArray(warnings)) return undefined;
  if (typeof storedAt !== "number" || !warnings.every((w) => typeof w === "string")) return undefined;
  return {
    value: codecs === true ? fromStored(value) : value,
    warnings,
    version,
    run: typeof run === "string" ? run : undefined,
    storedAt,
  };
}
