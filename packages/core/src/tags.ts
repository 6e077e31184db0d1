import type { TagValue } from "@hamilton-ts/lifecycle";

/** A tag filter: every key must match; `null` matches any value, an array any of its values. */
export type TagFilter = Readonly<Record<string, string | readonly string[] | null>>;

/** True when `tags` match every key of `filter` (see {@link TagFilter}). */
export function matchesTags(tags: Readonly<Record<string, TagValue>>, filter: TagFilter): boolean {
  for (const [key, wanted] of Object.entries(filter)) {
    if (!Object.hasOwn(tags, key)) return false;
    const actual = tags[key]!;
    if (wanted === null) continue;
    const have = typeof actual === "string" ? [actual] : actual;
    const want = typeof wanted === "string" ? [wanted] : wanted;
    if (!want.some((w) => have.includes(w))) return false;
  }
  return true;
}
