/**
 * The first `max` UTF-16 code units of `text`, one fewer when the cut would fall between the two
 * halves of a surrogate pair (an emoji, most CJK extension characters): a lone half is not text —
 * JSON.stringify escapes it, and PostgreSQL's `jsonb` refuses it — and shows as �.
 */
export function headOf(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return "";
  const last = text.charCodeAt(max - 1);
  // A high surrogate followed by its low half: keep neither.
  const split = last >= 0xd800 && last <= 0xdbff && (text.charCodeAt(max) & 0xfc00) === 0xdc00;
  return text.slice(0, split ? max - 1 : max);
}
