/**
 * Used by the graph's lazy node sources (`node-sources.ts`).
 *
 * Owns {@link locateFunctions}: where functions are in the code the process loaded, asked of V8
 * through an in-process `node:inspector` session, for a batch of functions at once — each
 * function's script (its URL, its source map URL, its text) and the offsets of the function's own
 * text in it. The session is opened, asked and closed within the call (the debugger is enabled
 * only for that long), synchronously: an in-process session answers before `post` returns.
 * Anything that fails (no inspector in this runtime, a native function, a script V8 no longer
 * holds) gives `undefined` for that function, never an error.
 */
import { createRequire } from "node:module";
import { lineStarts } from "./source-tokens.js";

/** A script V8 compiled: what the source-map step needs of it. */
export interface LoadedScript {
  /** The script's URL as V8 knows it (`file:///…`, a path, or `""` for eval'd code). */
  readonly url: string;
  /** The source map URL the script names (`//# sourceMappingURL=`), or `""`. */
  readonly sourceMapURL: string;
  /** The script's text. */
  readonly text: string;
  /** The 0-based line the script starts on in its resource (0 for a module or a file). */
  readonly startLine: number;
  /** The offset in {@link text} at which each line starts. */
  readonly lineStarts: readonly number[];
}

/** Where one function's own text is: `script.text.slice(start, end)` is its `toString()`. */
export interface FunctionPlace {
  readonly script: LoadedScript;
  readonly start: number;
  readonly end: number;
}

interface ScriptParsed {
  readonly scriptId: string;
  readonly url: string;
  readonly sourceMapURL?: string;
  readonly startLine: number;
}

interface Session {
  connect(): void;
  disconnect(): void;
  post(method: string, params: object, callback: (error: Error | null, result: unknown) => void): void;
  on(event: "Debugger.scriptParsed", listener: (message: { params: ScriptParsed }) => void): void;
}

/** The inspector's `Session` class, or undefined where the runtime has none. */
let SessionClass: (new () => Session) | null | undefined;

function sessionClass(): (new () => Session) | undefined {
  if (SessionClass === undefined) {
    try {
      SessionClass = (createRequire(import.meta.url)("node:inspector") as { Session: new () => Session }).Session;
    } catch {
      SessionClass = null;
    }
  }
  return SessionClass ?? undefined;
}

/** Where the batch is parked for the session to reach it (removed before the call returns). */
const SLOT = Symbol.for("@hamilton-ts/core.source-location");
const OBJECT_GROUP = "hamilton-ts-source-location";

/** Sends one command and returns its answer (in-process sessions answer synchronously). */
function ask<T>(session: Session, method: string, params: object): T {
  let answer: { error: Error | null; result: unknown } | undefined;
  session.post(method, params, (error, result) => {
    answer = { error, result };
  });
  if (answer === undefined) throw new Error(`the inspector did not answer ${method} synchronously`);
  if (answer.error !== null) throw answer.error;
  return answer.result as T;
}

interface RemoteProperty {
  readonly name: string;
  readonly value?: { readonly objectId?: string; readonly value?: unknown };
}

/**
 * Finds each function's script and text offsets, in one inspector session for the whole batch.
 * The result is parallel to `fns`; `undefined` where the function could not be located.
 */
export function locateFunctions(fns: readonly Function[]): Array<FunctionPlace | undefined> {
  const places: Array<FunctionPlace | undefined> = fns.map(() => undefined);
  const Session = sessionClass();
  if (Session === undefined || fns.length === 0) return places;
  const global = globalThis as Record<symbol, unknown>;
  let session: Session | undefined;
  try {
    session = new Session();
    session.connect();
    const parsed = new Map<string, ScriptParsed>();
    session.on("Debugger.scriptParsed", ({ params }) => {
      parsed.set(params.scriptId, params);
    });
    ask(session, "Debugger.enable", {});
    global[SLOT] = fns;
    const batch = ask<{ result: { objectId?: string } }>(session, "Runtime.evaluate", {
      expression: `globalThis[Symbol.for(${JSON.stringify(SLOT.description)})]`,
      objectGroup: OBJECT_GROUP,
    });
    const elements = ask<{ result: RemoteProperty[] }>(session, "Runtime.getProperties", {
      objectId: batch.result.objectId,
      ownProperties: true,
    }).result;
    const scripts = new Map<string, LoadedScript | undefined>();
    for (const element of elements) {
      const index = Number(element.name);
      const objectId = element.value?.objectId;
      if (!Number.isInteger(index) || objectId === undefined) continue;
      const { internalProperties } = ask<{ internalProperties?: RemoteProperty[] }>(session, "Runtime.getProperties", {
        objectId,
        ownProperties: true,
      });
      const location = internalProperties?.find((p) => p.name === "[[FunctionLocation]]")?.value?.value as
        | { scriptId: string; lineNumber: number; columnNumber: number }
        | undefined;
      if (location === undefined) continue;
      let script = scripts.get(location.scriptId);
      if (!scripts.has(location.scriptId)) {
        const info = parsed.get(location.scriptId);
        if (info !== undefined) {
          const { scriptSource } = ask<{ scriptSource: string }>(session, "Debugger.getScriptSource", {
            scriptId: location.scriptId,
          });
          script = {
            url: info.url,
            sourceMapURL: info.sourceMapURL ?? "",
            startLine: info.startLine,
            text: scriptSource,
            lineStarts: lineStarts(scriptSource),
          };
        }
        scripts.set(location.scriptId, script);
      }
      if (script === undefined) continue;
      places[index] = placeIn(script, location.lineNumber - script.startLine, location.columnNumber, fns[index]!);
    }
  } catch {
    // No location for the rest: the caller falls back to the compiled text.
  } finally {
    delete global[SLOT];
    if (session !== undefined) {
      try {
        ask(session, "Runtime.releaseObjectGroup", { objectGroup: OBJECT_GROUP });
        ask(session, "Debugger.disable", {});
      } catch {
        // Closing below ends the session anyway.
      }
      session.disconnect();
    }
  }
  return places;
}

/**
 * The function's text in its script. V8's location is inside the text (at the parameter list of a
 * `function`, at `async` of an async arrow), so the text is the last occurrence of `toString()`
 * that starts at or before it and reaches past it.
 */
function placeIn(script: LoadedScript, line: number, column: number, fn: Function): FunctionPlace | undefined {
  const text = script.text;
  const lineStart = script.lineStarts[line];
  if (lineStart === undefined) return undefined;
  const at = lineStart + column;
  const own = Function.prototype.toString.call(fn);
  const start = text.lastIndexOf(own, at);
  if (start === -1 || start + own.length <= at) return undefined;
  return { script, start, end: start + own.length };
}
