/**
 * A first-in-first-out queue of items tagged with sequence numbers and an estimated size in bytes:
 * O(1) push and shift, memory proportional to what it holds, and the total size of what it holds
 * kept as a running sum. Each item takes three slots (item, sequence number, size) of a chunk of
 * fixed length: a queue that grows to a whole run's node records (10,000s) never copies what it
 * holds to grow, as one array would (about three times its final size in garbage, on the node
 * hooks' path), and a consumed chunk is released whole.
 */

/** Items per chunk. */
const CHUNK_ITEMS = 512;
const CHUNK_SLOTS = 3 * CHUNK_ITEMS;

export class Fifo<T> {
  /** The chunks, oldest first; only the last one is being filled. */
  #chunks: unknown[][] = [];
  /** Index of the oldest item's first slot in the first chunk. */
  #head = 0;
  /** Slots filled in the last chunk. */
  #tail = CHUNK_SLOTS;
  #size = 0;
  #bytes = 0;

  /** Items held. */
  get size(): number {
    return this.#size;
  }

  /** The sum of the sizes given to {@link push} of the items held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Item slots allocated, held items included (diagnostics: at most {@link size} plus two chunks). */
  get allocated(): number {
    return this.#chunks.length * CHUNK_ITEMS;
  }

  /** Adds an item; `bytes` is its estimated size, counted in {@link bytes} while it is held. */
  push(item: T, seq: number, bytes = 0): void {
    let tail = this.#tail;
    let chunk: unknown[];
    if (tail === CHUNK_SLOTS) {
      chunk = new Array(CHUNK_SLOTS);
      this.#chunks.push(chunk);
      tail = 0;
    } else chunk = this.#chunks[this.#chunks.length - 1]!;
    chunk[tail] = item;
    chunk[tail + 1] = seq;
    chunk[tail + 2] = bytes;
    this.#tail = tail + 3;
    this.#size++;
    this.#bytes += bytes;
  }

  /** The sequence number of the oldest item, or `Infinity` when empty. */
  peekSeq(): number {
    return this.#size > 0 ? (this.#chunks[0]![this.#head + 1] as number) : Infinity;
  }

  /** The size of the oldest item, or 0 when empty. */
  peekBytes(): number {
    return this.#size > 0 ? (this.#chunks[0]![this.#head + 2] as number) : 0;
  }

  /** Removes and returns the oldest item. Call only when {@link size} > 0. */
  shift(): T {
    const chunks = this.#chunks;
    const chunk = chunks[0]!;
    const head = this.#head;
    const item = chunk[head] as T;
    this.#bytes -= chunk[head + 2] as number;
    chunk[head] = undefined;
    if (--this.#size === 0) {
      // Empty: this chunk is the only one; it is filled again from its start (a queue that
      // empties at every batch does not make a chunk per batch).
      this.#head = 0;
      this.#tail = 0;
      this.#bytes = 0;
    } else if (head + 3 === CHUNK_SLOTS) {
      chunks.shift();
      this.#head = 0;
    } else this.#head = head + 3;
    return item;
  }

  /** The items with their sequence numbers, oldest first (a copy). */
  entries(): [T, number][] {
    const out: [T, number][] = [];
    const chunks = this.#chunks;
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c]!;
      const end = c === chunks.length - 1 ? this.#tail : CHUNK_SLOTS;
      for (let i = c === 0 ? this.#head : 0; i < end; i += 3) out.push([chunk[i] as T, chunk[i + 1] as number]);
    }
    return out;
  }
}
