/**
 * A first-in-first-out queue of items tagged with sequence numbers and an estimated size in bytes:
 * O(1) push and shift, memory proportional to what it holds (the consumed front is released in
 * chunks), and the total size of what it holds kept as a running sum. Each item takes three
 * slots of one array (item, sequence number, size): one push per item.
 */
export class Fifo<T> {
  #slots: unknown[] = [];
  /** Index of the oldest item's first slot. */
  #head = 0;
  #bytes = 0;

  /** Items held. */
  get size(): number {
    return (this.#slots.length - this.#head) / 3;
  }

  /** The sum of the sizes given to {@link push} of the items held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Slots allocated, held items included (diagnostics: stays within about twice {@link size} plus 1,024). */
  get allocated(): number {
    return this.#slots.length / 3;
  }

  /** Adds an item; `bytes` is its estimated size, counted in {@link bytes} while it is held. */
  push(item: T, seq: number, bytes = 0): void {
    this.#slots.push(item, seq, bytes);
    this.#bytes += bytes;
  }

  /** The sequence number of the oldest item, or `Infinity` when empty. */
  peekSeq(): number {
    return this.#head < this.#slots.length ? (this.#slots[this.#head + 1] as number) : Infinity;
  }

  /** The size of the oldest item, or 0 when empty. */
  peekBytes(): number {
    return this.#head < this.#slots.length ? (this.#slots[this.#head + 2] as number) : 0;
  }

  /** Removes and returns the oldest item. Call only when {@link size} > 0. */
  shift(): T {
    const slots = this.#slots;
    const head = this.#head;
    const item = slots[head] as T;
    this.#bytes -= slots[head + 2] as number;
    slots[head] = undefined;
    this.#head = head + 3;
    if (this.#head === slots.length) {
      this.#slots = [];
      this.#head = 0;
      this.#bytes = 0;
    } else if (this.#head >= 3 * 1024 && this.#head * 2 >= slots.length) {
      this.#slots = slots.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** The items with their sequence numbers, oldest first (a copy). */
  entries(): [T, number][] {
    const out: [T, number][] = [];
    for (let i = this.#head; i < this.#slots.length; i += 3)
      out.push([this.#slots[i] as T, this.#slots[i + 1] as number]);
    return out;
  }
}
