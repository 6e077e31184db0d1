/**
 * The cache's data-version vocabulary: the markers a slot holds instead of a fingerprint, and the
 * hash keys are made with. Shared by the driver's cache (`cache.ts`) and a run's (`cache-run.ts`).
 *
 * @module
 */
import { sha256Hex } from "./sha256.js";

/** The value could not be fingerprinted: dependents cannot be keyed (and are warned about). */
export const UNVERSIONED = "!unversioned";
/** The node's behaviour is `disable`: dependents cannot be keyed. */
export const DISABLED = "!disabled";
/** The node's behaviour is `ignore`: dependents leave it out of their keys. */
export const IGNORED = "!ignored";
/** A dependency the node declared optional and the run does not have. */
export const ABSENT = "!absent";

/** True for a data version, false for a marker (or nothing). */
export function isVersion(v: string | undefined): v is string {
  return v !== undefined && v.charCodeAt(0) !== 33; // "!"
}

/** SHA-256 of `text`, 64 hex digits. */
export function sha(text: string): string {
  return sha256Hex(text);
}
