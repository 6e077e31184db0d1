/**
 * A first-in-first-out queue of items tagged with sequence numbers and an estimated size in bytes:
 * O(1) push and shift, memory proportional to what it holds (the consumed front is released in
 * chunks), and the total size of what it holds kept as a running sum.
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #seqs: number[] = [];
  #sizes: number[] = [];
  #head = 0;
  #bytes = 0;

  /** Items held. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** The sum of the sizes given to {@link push} of the items held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Slots allocated, held items included (diagnostics: stays within about twice {@link size} plus 1,024). */
  get allocated(): number {
    return this.#items.length;
  }

  /** Adds an item; `bytes` is its estimated size, counted in {@link bytes} while it is held. */
  push(item: T, seq: number, bytes = 0): void {
    this.#items.push(item);
    this.#seqs.push(seq);
    this.#sizes.push(bytes);
    this.#bytes += bytes;
  }

  /** The sequence number of the oldest item, or `Infinity` when empty. */
  peekSeq(): number {
    return this.#head < this.#seqs.length ? this.#seqs[this.#head]! : Infinity;
  }

  /** The size of the oldest item, or 0 when empty. */
  peekBytes(): number {
    return this.#head < this.#sizes.length ? this.#sizes[this.#head]! : 0;
  }

  /** Removes and returns the oldest item. Call only when {@link size} > 0. */
  shift(): T {
    const item = this.#items[this.#head]!;
    this.#items[this.#head] = undefined;
    this.#bytes -= this.#sizes[this.#head]!;
    this.#head++;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#seqs = [];
      this.#sizes = [];
      this.#head = 0;
      this.#bytes = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#seqs = this.#seqs.slice(this.#head);
      this.#sizes = this.#sizes.slice(this.#head);
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
