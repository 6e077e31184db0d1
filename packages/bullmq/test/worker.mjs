// Starts test/worker.ts in this process through Vite, the transformer vitest runs the coordinator
// with: the dataflow's function sources (and so its graph version) are then the coordinator's.
import { sourceServer } from "@hamilton-ts/testing/source-child";
const server = await sourceServer();
await server.ssrLoadModule(process.argv[2] ?? "/test/worker.ts");
