/**
 * Cheap size estimates of records, for the delivery queue's byte budget. An estimate is about the
 * record's JSON length (strings by their length, numbers as 8, each object and array with a
 * small overhead); the heap a record holds is of the same order. The node hooks never call
 * {@link estimateBytes} on their hot path: summaries are measured while they are built (see
 * `SizeMeter`), and a node record's estimate adds that to a constant.
 */

/** A counter a summariser adds the estimated size of what it builds to. */
export interface SizeMeter {
  bytes: number;
}

/** The estimate of a node record's fixed fields (ids, times, status), without its summary, error and warnings. */
export const NODE_RECORD_BYTES = 320;

/** Deeper than this, a value counts as {@link DEEP_VALUE_BYTES} (records are shallow; this only bounds the walk). */
const MAX_DEPTH = 32;
const DEEP_VALUE_BYTES = 64;

/**
 * Estimates the JSON size of plain data (a record, a summary): linear in its size, no string
 * building. Non-plain values count as small constants.
 */
export function estimateBytes(value: unknown, depth = 0): number {
  switch (typeof value) {
    case "string":
      return value.length + 2;
    case "number":
      return 8;
    case "boolean":
      return 5;
    case "undefined":
      return 0;
    case "object": {
      if (value === null) return 4;
      if (depth >= MAX_DEPTH) return DEEP_VALUE_BYTES;
      if (Array.isArray(value)) {
        let total = 2;
        for (let i = 0; i < value.length; i++) total += estimateBytes(value[i], depth + 1) + 1;
        return total;
      }
      let total = 2;
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) total += key.length + 4 + estimateBytes(record[key], depth + 1);
      return total;
    }
    default:
      return 16;
  }
}
