import { createServer } from "node:net";

/**
 * A loopback port nothing listens on now (the OS picks it). Another process may take it before the
 * caller binds it; the servers here are started right after, which makes that rare.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}
