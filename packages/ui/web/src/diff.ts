/**
 * A line diff of two texts (Myers' O((N+M)·D) algorithm, after the common head and tail are set
 * aside), for the source diffs of the compare and versions pages. No DOM: the pages draw its lines
 * as text, `diff.test.ts` runs it under Node.
 */

/** One line of a diff: kept (` `), removed from the old text (`-`), added in the new one (`+`). */
export interface DiffLine {
  readonly op: " " | "-" | "+";
  readonly text: string;
}

/** Above this many differing lines (on the two sides together) the diff is given as "all removed, all added". */
export const MAX_DIFF_EDITS = 1000;

function lines(text: string): string[] {
  if (text === "") return [];
  const out = text.split(/\r?\n/);
  if (out[out.length - 1] === "") out.pop();
  return out;
}

/** The shortest edit script of `a` into `b` (Myers), as diff lines; undefined past `maxD` edits. */
function myers(a: readonly string[], b: readonly string[], maxD: number): DiffLine[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxD);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)) x = v[offset + k + 1]!;
      else x = v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        trace.push(next);
        return backtrack(a, b, trace, offset, d);
      }
    }
    v = next;
  }
  return undefined;
}

function backtrack(a: readonly string[], b: readonly string[], trace: Int32Array[], offset: number, dEnd: number) {
  const out: DiffLine[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = dEnd; d > 0; d--) {
    const v = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = v[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push({ op: " ", text: a[--x]! });
      y--;
    }
    if (x === prevX) out.push({ op: "+", text: b[--y]! });
    else out.push({ op: "-", text: a[--x]! });
  }
  while (x > 0 && y > 0) {
    out.push({ op: " ", text: a[--x]! });
    y--;
  }
  return out.reverse();
}

/** The lines of `before` and `after` as kept, removed and added lines, in order. */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = lines(before);
  const b = lines(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const mid = myers(midA, midB, MAX_DIFF_EDITS) ?? [
    ...midA.map((text) => ({ op: "-" as const, text })),
    ...midB.map((text) => ({ op: "+" as const, text })),
  ];
  return [
    ...a.slice(0, head).map((text) => ({ op: " " as const, text })),
    ...mid,
    ...a.slice(a.length - tail).map((text) => ({ op: " " as const, text })),
  ];
}

/** How many lines a diff removes and adds. */
export function diffCounts(diff: readonly DiffLine[]): { readonly removed: number; readonly added: number } {
  let removed = 0;
  let added = 0;
  for (const l of diff) {
    if (l.op === "-") removed++;
    else if (l.op === "+") added++;
  }
  return { removed, added };
}

/** A diff as text, one line each prefixed by its op (`- `, `+ `, `  `). */
export function diffText(diff: readonly DiffLine[]): string {
  return diff.map((l) => `${l.op === " " ? " " : l.op} ${l.text}`).join("\n");
}
