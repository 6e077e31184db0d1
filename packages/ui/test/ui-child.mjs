// A hamilton-ts-ui server in a process of its own (startUi loaded from the package's TypeScript
// source through Vite), for tests that kill it. argv: <store dir>. Prints "listening <url>" once it
// listens, then serves until killed.
import { sourceServer } from "@hamilton-ts/testing/source-child";

const [dir] = process.argv.slice(2);
const server = await sourceServer();
const { startUi } = await server.ssrLoadModule("/src/server.ts");
const ui = await startUi({ dir, port: 0 });
await ui.caughtUp();
process.stdout.write(`listening ${ui.url}\n`);
