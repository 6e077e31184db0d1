/**
 * A first-in-first-out queue of items tagged with sequence numbers: O(1) push and shift, memory
 * proportional to what it holds (the consumed front is released in chunks).
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #seqs: number[] = [];
  #head = 0;

  /** Items held. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Slots allocated, held items included (diagnostics: stays within about twice {@link size} plus 1,024). */
  get allocated(): number {
    return this.#items.length;
  }

  push(item: T, seq: number): void {
    this.#items.push(item);
    this.#seqs.push(seq);
  }

  /** The sequence number of the oldest item, or `Infinity` when empty. */
  peekSeq(): number {
    return this.#head < this.#seqs.length ? this.#seqs[this.#head]! : Infinity;
  }

  /** Removes and returns the oldest item. Call only when {@link size} > 0. */
  shift(): T {
    const item = this.#items[this.#head]!;
    this.#items[this.#head] = undefined;
    this.#head++;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#seqs = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#seqs = this.#seqs.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** The items with their sequence numbers, oldest first (a copy). */
  entries(): [T, number][] {
    const out: [T, number][] = [];
    for (let i = this.#head; i < this.#items.length; i++) out.push([this.#items[i]!, this.#seqs[i]!]);
    return out;
  }
}
