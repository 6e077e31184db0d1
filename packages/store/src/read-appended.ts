/**
 * Reads what was appended to a store file since an offset: the complete lines, and the offset to
 * read from next time. A last line without its newline (a writer mid-append, or a torn line) is
 * left for the next read; once a later append ends it on a fresh line, it is read as a line that
 * is not a record, which readers skip and count.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import { fileErrorCode } from "./file-log.js";

/** Options of {@link readAppended}. */
export interface ReadAppendedOptions {
  /**
   * Read at most about this many bytes (default 16 MiB), so a large file is read in slices; a
   * single line longer than this is still read whole.
   */
  readonly maxBytes?: number;
}

/** What {@link readAppended} found. */
export interface AppendedLines {
  /** The complete, non-empty lines read, without their newlines. */
  readonly lines: string[];
  /** The byte offset in the file where each line of {@link lines} starts. */
  readonly offsets: number[];
  /** The byte length of each line of {@link lines} (UTF-8, without its newline). */
  readonly lengths: number[];
  /** Where to read from next time: just past the last newline read (`fromOffset` when none). */
  readonly nextOffset: number;
  /** The file's size when read; smaller than `fromOffset` means the file was cut or replaced. */
  readonly size: number;
  /** True when bytes after {@link nextOffset} are there: a line without its newline yet (or torn). */
  readonly tail: boolean;
  /** True when the file ends beyond what was read (more than `maxBytes` was there): read again. */
  readonly more: boolean;
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const NEWLINE = 0x0a;

const empty = (fromOffset: number, size: number): AppendedLines => ({
  lines: [],
  offsets: [],
  lengths: [],
  nextOffset: fromOffset,
  size,
  tail: false,
  more: false,
});

/** Cuts the bytes read at `fromOffset` into complete lines (see {@link AppendedLines}). */
function split(buffer: Buffer, read: number, fromOffset: number, size: number): AppendedLines {
  const end = read === 0 ? -1 : buffer.lastIndexOf(NEWLINE, read - 1);
  const lines: string[] = [];
  const offsets: number[] = [];
  const lengths: number[] = [];
  let start = 0;
  while (start <= end) {
    const stop = buffer.indexOf(NEWLINE, start);
    if (stop > start) {
      // Cut at newlines, so no UTF-8 character is split.
      lines.push(buffer.toString("utf8", start, stop));
      offsets.push(fromOffset + start);
      lengths.push(stop - start);
    }
    start = stop + 1;
  }
  const nextOffset = fromOffset + end + 1;
  const more = fromOffset + read < size;
  return { lines, offsets, lengths, nextOffset, size, tail: !more && nextOffset < size, more };
}

/**
 * True when the buffer is full, holds no newline and the file goes on: one line longer than the
 * buffer, read on until its newline.
 */
function lineGoesOn(buffer: Buffer, read: number, fromOffset: number, size: number): boolean {
  return read === buffer.length && fromOffset + read < size && buffer.lastIndexOf(NEWLINE, read - 1) === -1;
}

function grow(buffer: Buffer, read: number, fromOffset: number, size: number): Buffer {
  const grown = Buffer.allocUnsafe(Math.min(size - fromOffset, buffer.length * 2));
  buffer.copy(grown, 0, 0, read);
  return grown;
}

/**
 * Reads the complete lines appended to the file at `path` since byte `fromOffset` (0 for the whole
 * file), at most about `maxBytes` of them. A missing file reads as empty (`size` 0).
 */
export async function readAppended(
  path: string,
  fromOffset: number,
  options: ReadAppendedOptions = {},
): Promise<AppendedLines> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, "r");
  } catch (error) {
    if (fileErrorCode(error) !== "ENOENT") throw error;
    return empty(fromOffset, 0);
  }
  try {
    const { size } = await file.stat();
    if (size <= fromOffset) return empty(fromOffset, size);
    let buffer: Buffer = Buffer.allocUnsafe(Math.min(size - fromOffset, options.maxBytes ?? DEFAULT_MAX_BYTES));
    let read = 0;
    do {
      if (read === buffer.length) buffer = grow(buffer, read, fromOffset, size);
      while (read < buffer.length) {
        const { bytesRead } = await file.read(buffer, read, buffer.length - read, fromOffset + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
    } while (lineGoesOn(buffer, read, fromOffset, size));
    return split(buffer, read, fromOffset, size);
  } finally {
    await file.close();
  }
}

/**
 * {@link readAppended} with synchronous reads, for callers that must stay synchronous (an index
 * refreshed inside one request handler).
 */
export function readAppendedSync(path: string, fromOffset: number, options: ReadAppendedOptions = {}): AppendedLines {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if (fileErrorCode(error) !== "ENOENT") throw error;
    return empty(fromOffset, 0);
  }
  try {
    const { size } = fstatSync(fd);
    if (size <= fromOffset) return empty(fromOffset, size);
    let buffer: Buffer = Buffer.allocUnsafe(Math.min(size - fromOffset, options.maxBytes ?? DEFAULT_MAX_BYTES));
    let read = 0;
    do {
      if (read === buffer.length) buffer = grow(buffer, read, fromOffset, size);
      while (read < buffer.length) {
        const n = readSync(fd, buffer, read, buffer.length - read, fromOffset + read);
        if (n === 0) break;
        read += n;
      }
    } while (lineGoesOn(buffer, read, fromOffset, size));
    return split(buffer, read, fromOffset, size);
  } finally {
    closeSync(fd);
  }
}
