/**
 * The server of the `store/…` figures, run as a child process so that its resident memory is its
 * own: `node dist/store-server.js '<startUi options as JSON>'` calls `startUi` of the built
 * `@hamilton-ts/ui` with them, prints `ready <url>` once it listens, and closes on SIGTERM.
 * Options `startUi` does not know yet (an older build) are passed on as they are.
 */
import { startUi } from "@hamilton-ts/ui";

const options = JSON.parse(process.argv[2] ?? "{}") as Parameters<typeof startUi>[0];
const ui = await startUi({ port: 0, ...options });
process.stdout.write(`ready ${ui.url}\n`);
process.once("SIGTERM", () => {
  ui.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`store-server: close failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
});
