/**
 * The runs list's pages: the cursors of the pages seen (`GET /api/runs`'s `next`), so "older"
 * and "newer" walk the whole history a page at a time with no cap, and a refresh reloads the page
 * shown. No DOM: tested under Node.
 */

/** Where the list is: the page shown and how to get back. */
export class RunsPaging {
  /** The `before` cursor of each page seen so far; page 0 has none. */
  #cursors: (string | undefined)[] = [undefined];
  #page = 0;
  #next: string | null = null;
  readonly size: number;

  constructor(size: number) {
    this.size = size;
  }

  /** The page shown, from 0. */
  get page(): number {
    return this.#page;
  }

  /** The cursor to request the shown page with. */
  get cursor(): string | undefined {
    return this.#cursors[this.#page];
  }

  /** The position of the shown page's first run, from 0. */
  get offset(): number {
    return this.#page * this.size;
  }

  /** True when an older page exists (the last answer had a `next`). */
  get hasOlder(): boolean {
    return this.#next !== null;
  }

  /** True when a newer page exists. */
  get hasNewer(): boolean {
    return this.#page > 0;
  }

  /** Takes the answer for the shown page: its `next` cursor. */
  loaded(next: string | null): void {
    this.#next = next;
    this.#cursors.length = this.#page + 1;
  }

  /** Moves to the older page; false when there is none. */
  older(): boolean {
    if (this.#next === null) return false;
    this.#cursors[this.#page + 1] = this.#next;
    this.#page++;
    this.#next = null;
    return true;
  }

  /** Moves to the newer page; false when on the newest. */
  newer(): boolean {
    if (this.#page === 0) return false;
    this.#page--;
    return true;
  }

  /** Back to the newest page (the filters changed). */
  reset(): void {
    this.#cursors = [undefined];
    this.#page = 0;
    this.#next = null;
  }
}
