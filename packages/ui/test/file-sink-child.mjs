// A process of its own that writes to a store the way a tracked program does: the tracker's
// FileSink, loaded from the workspace's TypeScript source through Vite. argv: <store dir> <project>
// <records as a JSON array>. Prints "done" once the records are written.
import { sourceServer } from "@hamilton-ts/testing/source-child";

const [dir, project, records] = process.argv.slice(2);
const server = await sourceServer();
const { FileSink } = await server.ssrLoadModule("@hamilton-ts/tracker");
await new FileSink({ dir, fsync: false }).write(project, JSON.parse(records));
await server.close();
process.stdout.write("done\n");
