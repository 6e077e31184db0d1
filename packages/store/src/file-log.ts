/**
 * Appends JSON lines to a file shared with other processes: each batch lands whole, in one `write`
 * on an `O_APPEND` descriptor, never interleaved with another writer's bytes, and always on a fresh
 * line (a torn last line left by a crash is ended first, so it costs only itself). The package's
 * README says why this holds ("Why appends never interleave").
 */
import type { FileHandle } from "node:fs/promises";
import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { StoreError } from "./errors.js";

/**
 * The most bytes one append writes in one `write` call: 1 GiB, below Linux's per-call cap
 * (2 GiB - 4 KiB), above which the kernel writes short and the append would no longer be one
 * piece. A larger batch is written in several writes, each of whole lines; a single line larger
 * than this is refused (`RECORD_TOO_LARGE`).
 */
export const MAX_WRITE_BYTES = 2 ** 30;

/** How many times a write that came back short is written again whole before the append fails. */
const SHORT_WRITE_RETRIES = 2;

const NEWLINE = 0x0a;
const NEWLINE_BUFFER = Buffer.from("\n");

/** Options of {@link appendLines} and {@link FileLog}. */
export interface AppendOptions {
  /** `fsync` the file after the append, so it survives a power loss. Default: false. */
  readonly sync?: boolean;
  /**
   * Make the file's folder (and its parents) when it is missing. Default: false: a writer that
   * keeps other files beside this one wants to know the folder went.
   */
  readonly createDir?: boolean;
  /**
   * The most bytes written by one `write` call (default and ceiling {@link MAX_WRITE_BYTES}); a
   * batch larger than this is written in several writes of whole lines.
   */
  readonly maxWriteBytes?: number;
}

/** What an append did. */
export interface AppendResult {
  /** Bytes written, the newline that ended a torn last line included. */
  readonly bytes: number;
  /** True when the file ended in a torn line and a newline was written first to end it. */
  readonly endedTornLine: boolean;
  /**
   * Writes that came back short (a full disk) and were written again whole: the short piece is a
   * torn line that readers skip.
   */
  readonly shortWrites: number;
}

/** The lines as the bytes of one file's worth of records: each line followed by a newline. */
function encode(path: string, lines: readonly string[]): Buffer {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (typeof line !== "string" || line.includes("\n")) {
      throw new StoreError(
        "INVALID_LINE",
        `Appending to ${path}: line ${i} ${typeof line === "string" ? "holds a newline" : `is ${typeof line}, not a string`}; a record must be one line of text (JSON.stringify gives one).`,
      );
    }
  }
  return Buffer.from(`${lines.join("\n")}\n`, "utf8");
}

/** Cuts `data` (whole lines) into pieces of whole lines of at most `max` bytes each. */
function pieces(path: string, data: Buffer, max: number): Buffer[] {
  if (data.length <= max) return [data];
  const out: Buffer[] = [];
  let start = 0;
  while (start < data.length) {
    if (data.length - start <= max) {
      out.push(data.subarray(start));
      break;
    }
    const end = data.lastIndexOf(NEWLINE, start + max - 1);
    if (end < start) {
      throw new StoreError(
        "RECORD_TOO_LARGE",
        `Appending to ${path}: a line of more than ${max} bytes cannot be written in one piece; make the record smaller (bound its values).`,
      );
    }
    out.push(data.subarray(start, end + 1));
    start = end + 1;
  }
  return out;
}

/** True when the file is empty or its last byte is a newline (a positioned read of that byte). */
async function endsOnFreshLine(file: FileHandle): Promise<boolean> {
  const { size } = await file.stat();
  if (size === 0) return true;
  const byte = Buffer.alloc(1);
  const { bytesRead } = await file.read(byte, 0, 1, size - 1);
  return bytesRead === 0 || byte[0] === NEWLINE;
}

/** `a+`: O_APPEND for the writes, and readable for the positioned read of the last byte. */
async function openForAppend(path: string, createDir: boolean): Promise<FileHandle> {
  try {
    return await open(path, "a+");
  } catch (error) {
    if (!createDir || fileErrorCode(error) !== "ENOENT") throw error;
    await mkdir(dirname(path), { recursive: true });
    return await open(path, "a+");
  }
}

/**
 * Writes one piece (whole lines) in one `write` call, preceded by a newline when the file ends in
 * a torn line. A short write (a full disk) leaves a torn line: the piece is written again whole,
 * on a fresh line, up to {@link SHORT_WRITE_RETRIES} times.
 */
async function writePiece(
  path: string,
  file: FileHandle,
  piece: Buffer,
  counts: { bytes: number; endedTornLine: boolean; shortWrites: number },
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const fresh = await endsOnFreshLine(file);
    if (!fresh) counts.endedTornLine = true;
    // One writev of [newline, piece] is one system call: it lands as one piece too.
    const { bytesWritten } = fresh ? await file.write(piece) : await file.writev([NEWLINE_BUFFER, piece]);
    const expected = piece.length + (fresh ? 0 : 1);
    counts.bytes += bytesWritten;
    if (bytesWritten === expected) return;
    counts.shortWrites++;
    if (attempt >= SHORT_WRITE_RETRIES) {
      throw new StoreError(
        "WRITE_FAILED",
        `Appending to ${path}: only ${bytesWritten} of ${expected} bytes were written, ${attempt + 1} times (is the disk full?); the piece written is a torn line readers skip. Free space and write again.`,
      );
    }
  }
}

/**
 * Appends `lines` (each without its newline) to the file at `path`, creating the file. See the
 * module's description for what holds; lines appended by one call are together in the file unless
 * the batch is larger than `maxWriteBytes`.
 *
 * @throws StoreError `INVALID_LINE`, `RECORD_TOO_LARGE`, or `WRITE_FAILED` with the file system's
 * error as `cause` (its `code`, `ENOENT` for a missing folder, is kept on the cause).
 */
export async function appendLines(
  path: string,
  lines: readonly string[],
  options: AppendOptions = {},
): Promise<AppendResult> {
  const counts = { bytes: 0, endedTornLine: false, shortWrites: 0 };
  if (lines.length === 0) return counts;
  const max = Math.min(options.maxWriteBytes ?? MAX_WRITE_BYTES, MAX_WRITE_BYTES);
  const data = pieces(path, encode(path, lines), max);
  let file: FileHandle;
  try {
    file = await openForAppend(path, options.createDir ?? false);
  } catch (error) {
    throw writeFailed(path, error);
  }
  try {
    for (const piece of data) await writePiece(path, file, piece, counts);
    if (options.sync) await file.sync();
  } catch (error) {
    throw StoreError.isInstance(error) ? error : writeFailed(path, error);
  } finally {
    await file.close().catch(() => {});
  }
  return counts;
}

function writeFailed(path: string, error: unknown): StoreError {
  const code = fileErrorCode(error);
  const hint =
    code === "ENOENT"
      ? "its folder does not exist; create it, or pass createDir: true"
      : code === "ENOSPC"
        ? "the disk is full; free space"
        : "check the path and its permissions";
  return new StoreError(
    "WRITE_FAILED",
    `Cannot append to ${path} (${error instanceof Error ? error.message : String(error)}): ${hint}.`,
    { cause: error },
  );
}

/** The file system error code behind a {@link StoreError} `WRITE_FAILED` (`ENOENT`, `ENOSPC`, ...), if any. */
export function fileErrorCode(error: unknown): string | undefined {
  const cause = StoreError.isInstance(error) ? error.cause : error;
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * One file of the store, appended to by this process in call order: each {@link append} waits for
 * the previous one, so a process's own batches keep their order; other processes' batches may come
 * between them, never inside them.
 */
export class FileLog {
  /** The file appended to. */
  readonly path: string;
  readonly #options: AppendOptions;
  #queue: Promise<unknown> = Promise.resolve();

  /** @param options Defaults for every {@link append} (see {@link AppendOptions}). */
  constructor(path: string, options: AppendOptions = {}) {
    this.path = path;
    this.#options = options;
  }

  /** Appends the lines after every earlier append of this log; resolves once they are written. */
  append(lines: readonly string[], options: AppendOptions = {}): Promise<AppendResult> {
    const merged = { ...this.#options, ...options };
    const next = this.#queue.then(() => appendLines(this.path, lines, merged));
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Resolves once every append handed to {@link append} so far is written (or failed). */
  async idle(): Promise<void> {
    await this.#queue;
  }
}
