/** The page's entry: picks the view from the path. */
import "./style.css";
import { comparePage } from "./compare.js";
import { h, replace } from "./dom.js";
import { startLive } from "./live.js";
import { runPage } from "./run.js";
import { runsPage } from "./runs.js";

async function main(): Promise<void> {
  const app = document.getElementById("app")!;
  const path = location.pathname;
  startLive();
  const run = /^\/runs\/([^/]+)\/?$/.exec(path) ?? /^\/dashboard\/project\/[^/]+\/runs\/([^/]+)\/?$/.exec(path);
  try {
    if (path === "/") await runsPage(app);
    else if (run !== null) await runPage(app, decodeURIComponent(run[1]!));
    else if (path === "/compare") {
      const q = new URLSearchParams(location.search);
      await comparePage(app, q.get("a") ?? "", q.get("b") ?? "");
    } else
      replace(app, h("h1", null, "Not found"), h("p", null, `No page at ${path}. `, h("a", { href: "/" }, "All runs")));
  } catch (error) {
    replace(
      app,
      h("h1", null, "Something went wrong"),
      h("p", { class: "error-title" }, error instanceof Error ? error.message : String(error)),
    );
  }
}

void main();
