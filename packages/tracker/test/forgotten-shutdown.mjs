// A script that forgets `tracker.shutdown()`, run in a child process by tracker.test.ts. It loads
// the package's TypeScript source through Vite (vitest's own transformer), runs one dataflow with
// a sink that never answers, and ends. argv[2] is the sink's way of not answering:
// - "pending": a write that never settles and holds nothing (the process could end at once);
// - "socket": a write that holds the process alive until it is aborted, like an unanswered fetch.
// - "failing": a write that fails at once, with a secret in its error (an echoed header).
// It prints "done" when the script's own work is over.
import { sourceServer } from "@hamilton-ts/testing/source-child";
const mode = process.argv[2];
const server = await sourceServer();
const { HamiltonTracker } = await server.ssrLoadModule("/src/index.ts");
const { Builder } = await server.ssrLoadModule("@hamilton-ts/core");
await server.close();

const sink = {
  write(_projectId, records, { signal }) {
    process.stdout.write(`write ${records.length}\n`);
    if (mode === "failing") {
      return Promise.reject(new Error("HTTP 401: Authorization: Bearer sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"));
    }
    return new Promise((_resolve, reject) => {
      const keepAlive = mode === "socket" ? setInterval(() => {}, 1_000) : undefined;
      signal.addEventListener("abort", () => {
        clearInterval(keepAlive);
        reject(signal.reason);
      });
    });
  },
};
const tracker = new HamiltonTracker({ projectId: "p", username: "u", dagName: "d", sink, onError: () => {} });
const dr = new Builder()
  .withModules({ a: () => 1, b: ({ a }) => a + 1 })
  .withAdapters(tracker)
  .build();
await dr.execute(["b"], { inputs: {} });
process.stdout.write("done\n");
