import { describe, expect, it } from "vitest";
import { isPagePath, matchPage, PAGE_ROUTES } from "./routes.js";

describe("the page's routes", () => {
  it("match each declared example to its view", () => {
    for (const route of PAGE_ROUTES) {
      const path = route.example.split("?")[0]!;
      expect(matchPage(path)?.view, path).toBe(route.view);
      expect(isPagePath(path), path).toBe(true);
    }
  });

  it("read a run's id (percent-decoded) from /runs/<id> and from the Hamilton UI's dashboard link", () => {
    expect(matchPage("/runs/r-1")).toEqual({ view: "run", runId: "r-1" });
    expect(matchPage("/runs/a%20b/")).toEqual({ view: "run", runId: "a b" });
    expect(matchPage("/dashboard/project/7/runs/42")).toEqual({ view: "run", runId: "42" });
    expect(matchPage("/")).toEqual({ view: "runs" });
    expect(matchPage("/compare")).toEqual({ view: "compare" });
    expect(matchPage("/history")).toEqual({ view: "history" });
    expect(matchPage("/history/")).toEqual({ view: "history" });
    expect(() => matchPage("/runs/%E0%A4%A")).toThrow(URIError);
  });

  it("answer nothing for other paths: the API, the assets, deeper or emptier run paths", () => {
    for (const path of [
      "/api/runs",
      "/assets/x.js",
      "/runs/",
      "/runs/a/b",
      "/dashboard/project/7/runs/",
      "/comparex",
      "/history/x",
      "/index.html",
      "",
    ]) {
      expect(matchPage(path), path).toBeUndefined();
      expect(isPagePath(path), path).toBe(false);
    }
  });
});
