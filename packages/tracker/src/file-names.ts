/**
 * Reversible, portable file names for project ids, run ids and graph versions: letters, digits,
 * `-`, `_` and inner dots stay; anything else is percent-encoded (so `..` or `/` cannot escape
 * the store's directory, and the reader gets the original id back).
 */
export function toFileName(id: string): string {
  const encoded = encodeURIComponent(id).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return encoded.startsWith(".") ? `%2E${encoded.slice(1)}` : encoded.length === 0 ? "%00" : encoded;
}

/** The id a {@link toFileName} name came from. */
export function fromFileName(name: string): string {
  return name === "%00" ? "" : decodeURIComponent(name);
}
