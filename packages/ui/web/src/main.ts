/** The page's entry: picks the view from the path, by the routes the server serves the page on. */
import "./style.css";
import { matchPage } from "../../src/routes.js";
import { comparePage } from "./compare.js";
import { historyPage } from "./history.js";
import { h, replace } from "./dom.js";
import { startLive } from "./live.js";
import { runPage } from "./run.js";
import { runsPage } from "./runs.js";
import { versionsPage } from "./versions.js";

async function main(): Promise<void> {
  const app = document.getElementById("app")!;
  const path = location.pathname;
  startLive();
  try {
    const route = matchPage(path);
    if (route?.view === "runs") await runsPage(app);
    else if (route?.view === "run") await runPage(app, route.runId);
    else if (route?.view === "history") await historyPage(app);
    else if (route?.view === "compare") await comparePage(app);
    else if (route?.view === "versions") await versionsPage(app);
    else
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
