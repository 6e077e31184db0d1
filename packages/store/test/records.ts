/**
 * The records the concurrent-append test writes: a JSON line whose padding is derived from its
 * writer and number, so a reader can tell a whole record from a torn or mixed one.
 */
export function record(writer: string, n: number, bytes: number): string {
  return JSON.stringify({ writer, n, pad: padding(writer, n, bytes) });
}

/** The padding of record `n` of `writer`: `bytes` characters that depend on both. */
export function padding(writer: string, n: number, bytes: number): string {
  const unit = `${writer}:${n};`;
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}
