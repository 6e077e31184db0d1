/**
 * A worker's BullMQ name (internal): its graph version and `version`, so that a coordinator whose
 * tasks no worker takes can say which versions the connected workers have. It shows in the
 * worker's Redis client name (`CLIENT LIST`), which allows no spaces: base64url of JSON.
 *
 * @module
 */

/** The name a worker gives BullMQ. */
export function workerName(graphVersion: string, version: string): string {
  return Buffer.from(JSON.stringify({ g: graphVersion, v: version })).toString("base64url");
}

/** The versions in a worker's name, or `undefined` for another kind of worker. */
export function parseWorkerName(name: string): { graphVersion: string; version: string } | undefined {
  try {
    const value = JSON.parse(Buffer.from(name, "base64url").toString("utf8")) as { g?: unknown; v?: unknown };
    if (typeof value?.g !== "string" || typeof value.v !== "string") return undefined;
    return { graphVersion: value.g, version: value.v };
  } catch {
    return undefined;
  }
}
