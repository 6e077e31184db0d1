// The embedded SQL index's thread: PGlite (PostgreSQL in WASM) runs here, off the server's main
// thread, so a long statement never delays the answers and appends the main thread makes.
// Plain JavaScript on purpose: a worker thread loads its file with Node itself, from `src/` and
// from the published package alike (see database.ts, `openEmbedded`).
//
// Messages in: { id, op: "query", text, values } | { id, op: "transaction", statements } |
// { id, op: "close" }. Out: { id, rows } | { id, error: { message, code } }. One message at a time,
// in order: a transaction's statements never interleave with another message's.
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";

const INT8 = 20;
const NUMERIC = 1700;
const toNumber = (text) => (text === null ? null : Number(text));

const { dataDir, seed, wasmModule } = workerData;
let db;
try {
  const options = { parsers: { [INT8]: toNumber, [NUMERIC]: toNumber } };
  // Compiled once by the main thread (see database.ts): each new thread skips the compile.
  if (wasmModule !== undefined) options.pgliteWasmModule = wasmModule;
  if (seed !== undefined) {
    const { readFile } = await import("node:fs/promises");
    options.loadDataDir = new Blob([await readFile(seed)]);
  }
  db = await PGlite.create(dataDir, options);
  parentPort.postMessage({ id: 0, rows: [] });
} catch (error) {
  parentPort.postMessage({ id: 0, error: { message: String(error?.message ?? error), code: error?.code } });
  process.exit(1);
}

async function run(message) {
  if (message.op === "query") {
    if (message.values === undefined || message.values.length === 0) {
      const results = await db.exec(message.text);
      return results.length === 0 ? [] : results[results.length - 1].rows;
    }
    return (await db.query(message.text, message.values)).rows;
  }
  if (message.op === "transaction") {
    await db.transaction(async (tx) => {
      for (const statement of message.statements) {
        if (statement.values === undefined || statement.values.length === 0) await tx.exec(statement.text);
        else await tx.query(statement.text, statement.values);
      }
    });
    return [];
  }
  if (message.op === "close") {
    await db.close();
    return [];
  }
  throw new Error(`unknown op ${JSON.stringify(message.op)}`);
}

let queue = Promise.resolve();
parentPort.on("message", (message) => {
  queue = queue.then(async () => {
    try {
      parentPort.postMessage({ id: message.id, rows: await run(message) });
    } catch (error) {
      parentPort.postMessage({
        id: message.id,
        error: { message: String(error?.message ?? error), code: error?.code },
      });
    }
    if (message.op === "close") parentPort.close();
  });
});
