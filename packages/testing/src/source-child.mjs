// What the workspace's child-process scripts (a package's `test/*.mjs`, run with plain `node`)
// share: loading the package's TypeScript source through Vite, the transformer vitest runs the
// tests with, and the IPC handshake of `startReadyProcess` — say ready, wait for the go. Plain
// JavaScript, so that a child needs no TypeScript loader to import it.
import { createViteServer } from "vitest/node";

/**
 * A Vite server (middleware mode, no watcher, no HMR) rooted at `root` (default: the working
 * directory, the package's folder) that resolves workspace packages to their source; load modules
 * with `server.ssrLoadModule("/src/x.ts")` and `close()` it when done.
 */
export function sourceServer(root = process.cwd()) {
  return createViteServer({
    configFile: false,
    root,
    logLevel: "silent",
    server: { middlewareMode: true, watch: null, hmr: false, ws: false },
    resolve: { conditions: ["@hamilton-ts/source"] },
    ssr: { resolve: { conditions: ["@hamilton-ts/source"] } },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
}

/**
 * Tells the parent (`startReadyProcess` with `ready: (m) => m === "ready"`) that this child is
 * ready, and resolves on the parent's next message (its go: `child.send("go")`), after which the
 * IPC channel is closed so that the child can end on its own.
 */
export function readyThenGo() {
  if (process.send === undefined) {
    throw new Error(
      `${process.argv[1]} waits for its go over IPC: start it with startReadyProcess and an IPC ready signal (ready: (m) => m === "ready"), then child.send("go").`,
    );
  }
  return new Promise((resolve) => {
    process.once("message", (message) => {
      process.disconnect();
      resolve(message);
    });
    process.send("ready");
  });
}
