// Part of the consumer test (scripts/consumer-test.mjs): the `hamilton-ts-ui` bin of the packed
// @hamilton-ts/ui, run with npx outside the workspace over the store app.mjs wrote. Checks that it
// lists the run (`hamilton-ts-ui runs`), serves it (read API, the page and its script), and stops
// cleanly on SIGINT.
// Usage: node ui.mjs <store dir>. Prints "consumer ui: ok ..." or throws.
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";

const storeDir = process.argv[2];
if (!storeDir) throw new Error("usage: node ui.mjs <store dir>");
const npx = process.platform === "win32" ? "npx.cmd" : "npx";

function check(condition, message) {
  if (!condition) throw new Error(`consumer ui: ${message}`);
}

const listed = execFileSync(npx, ["--no-install", "hamilton-ts-ui", "runs", "--dir", storeDir], { encoding: "utf8" });
check(/SUCCESS/.test(listed), `\`hamilton-ts-ui runs\` lists no successful run:\n${listed}`);

// The bin npx runs, started directly so that SIGINT reaches it (npx does not pass it on).
const bin = join("node_modules", ".bin", process.platform === "win32" ? "hamilton-ts-ui.cmd" : "hamilton-ts-ui");
const server = spawn(bin, ["--dir", storeDir, "--port", "0"], {
  stdio: ["ignore", "pipe", "pipe"],
});
let stderr = "";
server.stderr.on("data", (chunk) => {
  stderr += chunk;
});
const exited = new Promise((resolve) => server.on("exit", (code, signal) => resolve({ code, signal })));
const url = await new Promise((resolve, reject) => {
  let out = "";
  server.stdout.on("data", (chunk) => {
    out += chunk;
    const match = /serving .* at (http:\/\/\S+)/.exec(out);
    if (match) resolve(match[1]);
  });
  exited.then(({ code }) =>
    reject(new Error(`consumer ui: the server exited (${code}) before listening:\n${out}${stderr}`)),
  );
});

try {
  const { runs } = await (await fetch(`${url}/api/runs`)).json();
  check(
    runs.length >= 1 && runs.some((r) => r.status === "SUCCESS" && r.nodeCount > 0),
    "GET /api/runs has no run with node runs",
  );
  const run = runs.find((r) => r.status === "SUCCESS");
  const detail = await (await fetch(`${url}/api/runs/${encodeURIComponent(run.runId)}`)).json();
  check(
    detail.nodeRuns.length === run.nodeCount && detail.template !== undefined,
    "GET /api/runs/:id lacks node runs or the template",
  );
  const page = await fetch(`${url}/runs/${encodeURIComponent(run.runId)}`);
  const html = await page.text();
  check(
    page.status === 200 && /content-security-policy/i.test([...page.headers.keys()].join(" ")),
    "the run page is not served with its CSP",
  );
  const script = /<script[^>]*src="([^"]+)"/.exec(html)?.[1];
  check(script !== undefined, "the page has no script file (was dist-web packed?)");
  const asset = await fetch(new URL(script, url));
  check(
    asset.status === 200 && /javascript/.test(asset.headers.get("content-type") ?? ""),
    `the page's script ${script} is not served`,
  );
  console.log(
    `consumer ui: ok (hamilton-ts-ui runs lists the run; ${url} serves ${runs.length} run(s), run ${run.runId} with ${detail.nodeRuns.length} node runs, the page and ${script})`,
  );
} finally {
  server.kill("SIGINT");
}
const { code, signal } = await exited;
check(code === 0, `hamilton-ts-ui did not stop cleanly on SIGINT (exit ${code}, signal ${signal}):\n${stderr}`);
