/**
 * The page's files, built by Vite into `dist-web/` and shipped in the package: `index.html` for
 * every page route, and hashed files under `assets/` (cached for a year: their names change with
 * their content). Only names of plain characters under `assets/` are served, so no path can leave
 * the directory.
 */
import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Content types of the files Vite emits. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".json": "application/json; charset=utf-8",
};

/** `cache-control` of hashed assets. */
export const IMMUTABLE = "public, max-age=31536000, immutable";

/** A file to send. */
export interface StaticFile {
  readonly contentType: string;
  readonly body: Buffer;
}

/**
 * The directory of the built page: `dist-web/` of the package, beside `dist/` (the compiled
 * server) and `src/` (its TypeScript source, which tests and the workspace run).
 */
export function webDir(): string {
  return fileURLToPath(new URL("../dist-web/", import.meta.url));
}

/** Reads the built page's files (each once, then from memory). */
export class StaticFiles {
  private readonly dir: string;
  private readonly cache = new Map<string, StaticFile>();

  constructor(dir: string = webDir()) {
    this.dir = dir;
  }

  /** `index.html`; throws with how to fix it when the page was not built. */
  async index(): Promise<StaticFile> {
    const file = await this.read("index.html");
    if (file === undefined) {
      throw new Error(
        `the page's files are missing in ${this.dir}: build the package (pnpm --filter @hamilton-ts/ui build) or reinstall it.`,
      );
    }
    return file;
  }

  /** A file under `assets/` by its name, or undefined (unknown, or not a plain file name). */
  async asset(name: string): Promise<StaticFile | undefined> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes("..")) return undefined;
    if (CONTENT_TYPES[extname(name)] === undefined) return undefined;
    return this.read(`assets/${name}`);
  }

  private async read(relative: string): Promise<StaticFile | undefined> {
    const cached = this.cache.get(relative);
    if (cached !== undefined) return cached;
    let body: Buffer;
    try {
      body = await readFile(join(this.dir, relative));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "EISDIR")
        return undefined;
      throw error;
    }
    const file = { contentType: CONTENT_TYPES[extname(relative)] ?? "application/octet-stream", body };
    this.cache.set(relative, file);
    return file;
  }
}
