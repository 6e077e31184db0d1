import { describe, expect, it } from "vitest";
import { Fifo } from "./fifo.js";

describe("Fifo", () => {
  it("returns items oldest first with their sequence numbers", () => {
    const q = new Fifo<string>();
    expect(q.peekSeq()).toBe(Infinity);
    q.push("a", 3);
    q.push("b", 7);
    expect(q.size).toBe(2);
    expect(q.peekSeq()).toBe(3);
    expect(q.entries()).toEqual([
      ["a", 3],
      ["b", 7],
    ]);
    expect(q.shift()).toBe("a");
    expect(q.peekSeq()).toBe(7);
    expect(q.shift()).toBe("b");
    expect(q.size).toBe(0);
    expect(q.peekSeq()).toBe(Infinity);
  });

  it("keeps order across the internal compaction of a long-lived queue", () => {
    const q = new Fifo<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) q.push(next, next++);
      for (let i = 0; i < 250; i++) {
        expect(q.peekSeq()).toBe(expected);
        expect(q.shift()).toBe(expected++);
      }
    }
    expect(q.size).toBe(50 * 50);
    // The consumed front is released: memory follows what is held, not what went through.
    expect(q.allocated).toBeLessThanOrEqual(2 * q.size + 1024);
    expect(q.entries()[0]).toEqual([expected, expected]);
  });
});

it("lists, peeks and shifts across its chunks, also after it emptied and filled again", () => {
  const q = new Fifo<number>();
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 1_300; i++) q.push(i, 10_000 + i, i % 7);
    for (let i = 0; i < 700; i++) expect(q.shift()).toBe(i);
    const entries = q.entries();
    expect(entries).toHaveLength(600);
    expect(entries[0]).toEqual([700, 10_700]);
    expect(entries.at(-1)).toEqual([1_299, 11_299]);
    expect(entries.every(([item, seq], k) => item === 700 + k && seq === 10_700 + k)).toBe(true);
    let bytes = 0;
    for (let i = 700; i < 1_300; i++) bytes += i % 7;
    expect(q.bytes).toBe(bytes);
    for (let i = 700; i < 1_300; i++) {
      expect(q.peekSeq()).toBe(10_000 + i);
      expect(q.peekBytes()).toBe(i % 7);
      expect(q.shift()).toBe(i);
    }
    expect(q.size).toBe(0);
    expect(q.bytes).toBe(0);
    expect(q.entries()).toEqual([]);
    expect(q.peekSeq()).toBe(Infinity);
  }
});

it("releases memory when items only go through (a full queue dropping its oldest)", () => {
  const q = new Fifo<number>();
  for (let i = 0; i < 100; i++) q.push(i, i);
  for (let i = 100; i < 1_000_000; i++) {
    q.push(i, i);
    q.shift();
  }
  expect(q.size).toBe(100);
  expect(q.allocated).toBeLessThanOrEqual(2 * 100 + 1024);
});

describe("Fifo: bytes", () => {
  it("keeps the sum of the sizes of the items it holds", () => {
    const q = new Fifo<string>();
    q.push("a", 0, 10);
    q.push("b", 1, 32);
    expect(q.bytes).toBe(42);
    expect(q.peekBytes()).toBe(10);
    q.shift();
    expect(q.bytes).toBe(32);
    expect(q.peekBytes()).toBe(32);
    q.shift();
    expect(q.bytes).toBe(0);
    expect(q.peekBytes()).toBe(0);
  });

  it("stays exact across compaction", () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 5000; i++) q.push(i, i, 3);
    for (let i = 0; i < 4000; i++) q.shift();
    expect(q.bytes).toBe(3000);
  });
});
