/** One frozen empty record, for "no inputs", "no tags" and the like (not exported from the package). */
export const EMPTY: Readonly<Record<string, never>> = Object.freeze({});
