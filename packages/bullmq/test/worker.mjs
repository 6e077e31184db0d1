// Starts test/worker.ts in this process through Vite, the transformer vitest runs the coordinator
// with: the dataflow's function sources (and so its graph version) are then the coordinator's.
const { createViteServer } = await import("vitest/node");
const server = await createViteServer({
  configFile: false,
  root: process.cwd(),
  logLevel: "silent",
  server: { middlewareMode: true, watch: null, hmr: false, ws: false },
  resolve: { conditions: ["@hamilton-ts/source"] },
  ssr: { resolve: { conditions: ["@hamilton-ts/source"] } },
  optimizeDeps: { noDiscovery: true, include: [] },
});
await server.ssrLoadModule(process.argv[2] ?? "/test/worker.ts");
