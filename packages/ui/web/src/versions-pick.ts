/** Which two versions the versions page compares when the address names none. No DOM. */

/** What of a version the choice reads (`GET /api/versions`'s entries fit). */
export interface PickableVersion {
  readonly graphVersion: string;
  /** Null when the store has no template of the version (it cannot be diffed). */
  readonly nodes: number | null;
}

/**
 * The two newest versions that have a template, the older as `a` (from) and the newer as `b`
 * (to); `""` where there are not enough. `versions` come newest first.
 */
export function defaultPair(versions: readonly PickableVersion[]): { a: string; b: string } {
  const usable = versions.filter((v) => v.nodes !== null).map((v) => v.graphVersion);
  const unique = [...new Set(usable)];
  return { a: unique[1] ?? "", b: unique[0] ?? "" };
}
