// Runs dataflow modules with a tracker writing to a FileSink, one store per module, for the tests of
// node sources in templates (src/template-source.test.ts). Run with plain `node` (a module compiled
// by tsc, a plain .mjs) or with tsx (a .ts module), in the fixture's folder (sources are recorded
// relative to it):
//   source-child.mjs <tracker package dir> <module>=<store dir> ...
// The tracker and core load from the workspace's TypeScript source through Vite; the modules load
// as the runtime loads them (natively, or through tsx's loader). A module's exports are its nodes,
// plus `methods.shout` (a method shorthand) and its default export as "summary". Prints "done".
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { sourceServer } from "@hamilton-ts/testing/source-child";

const [root, ...pairs] = process.argv.slice(2);
const server = await sourceServer(root);
const { FileSink, HamiltonTracker } = await server.ssrLoadModule("/src/index.ts");
const { Builder } = await server.ssrLoadModule("@hamilton-ts/core");
await server.close();

for (const pair of pairs) {
  const [file, dir] = pair.split("=");
  const { methods, default: summary, ...functions } = await import(pathToFileURL(resolve(file)).href);
  const nodes = { ...functions };
  if (methods !== undefined) nodes.shout = methods.shout;
  if (summary !== undefined) nodes.summary = summary;
  const tracker = new HamiltonTracker({
    projectId: "p",
    username: "u",
    dagName: "sources",
    sink: new FileSink({ dir }),
  });
  const dr = new Builder().withModules(nodes).withAdapters(tracker).build();
  const outputs = dr.graph.nodes.filter((n) => !n.isExternalInput).map((n) => n.name);
  await dr.execute(outputs, { inputs: { topic: "graphs" } });
  await tracker.shutdown();
}
process.stdout.write("done\n");
