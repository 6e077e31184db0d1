// A writing process for concurrent-appends.test.ts: loads the package's TypeScript source through
// Vite (vitest's own transformer), says ready and waits for the go (over IPC: startReadyProcess),
// then appends its records to one file all at once and prints "done".
// argv: <file> <writer id> <large records> <small records>
import { readyThenGo, sourceServer } from "@hamilton-ts/testing/source-child";
const [path, writer, large, small] = process.argv.slice(2);
const server = await sourceServer();
const { appendLines } = await server.ssrLoadModule("/src/file-log.ts");
const { record } = await server.ssrLoadModule("/test/records.ts");
await readyThenGo();
const appends = [];
// Large records (1–4 MB) one per append, and small ones in batches, all in flight at once.
for (let i = 0; i < Number(large); i++)
  appends.push(appendLines(path, [record(writer, i, (1 + (i % 4)) * 1024 * 1024)]));
for (let i = 0; i < Number(small); i += 10) {
  const batch = [];
  for (let j = i; j < Math.min(i + 10, Number(small)); j++)
    batch.push(record(writer, Number(large) + j, 100 + (j % 50)));
  appends.push(appendLines(path, batch));
}
await Promise.all(appends);
await server.close();
process.stdout.write("done\n");
