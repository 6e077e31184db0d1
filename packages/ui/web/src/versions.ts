/**
 * The versions page (`/versions?project=<p>&dag=<dag>[&a=<version>&b=<version>]`): a DAG's
 * versions (graph version, first and last seen, runs, failures) from `GET /api/versions`, two of
 * them picked (by default the two newest with a template), and their node-by-node difference from
 * `GET /api/versions/diff`: nodes added, removed and changed, each changed node's source diff.
 */
import "./compare.css";
import type { DagVersion } from "../../src/sql/versions.js";
import type { VersionNode, VersionsDiff } from "../../src/versions-diff.js";
import { getJson } from "./api.js";
import { diffBlock } from "./compare-diff.js";
import { h, replace } from "./dom.js";
import { formatNumber, formatTime, shortVersion } from "./format.js";
import { onStoreChange } from "./live.js";
import { defaultPair } from "./versions-pick.js";

function radio(name: "a" | "b", version: string, checked: boolean, onPick: () => void): HTMLInputElement {
  const input = h("input");
  input.type = "radio";
  input.name = name;
  input.value = version;
  input.checked = checked;
  input.title = name === "a" ? "compare from this version" : "compare to this version";
  input.addEventListener("change", onPick);
  return input;
}

function nodeItem(n: VersionNode, what: "added" | "removed"): HTMLElement {
  return h(
    "li",
    { class: "version-node", data: { node: n.name, change: what } },
    h("b", null, n.name),
    ` (${n.kind}${n.version === "" ? "" : `, ${shortVersion(n.version, 8)}`}${n.sourceFile === undefined ? "" : `, ${n.sourceFile}${n.sourceLine === undefined ? "" : `:${n.sourceLine}`}`})`,
    n.source === "" ? null : diffBlock(what === "added" ? "" : n.source, what === "added" ? n.source : ""),
  );
}

function diffView(d: VersionsDiff): HTMLElement {
  const count = (n: number, word: string) => `${formatNumber(n)} ${word}`;
  return h(
    "section",
    { id: "versions-diff", data: { a: d.a, b: d.b } },
    h("h2", null, `${shortVersion(d.a, 12)} → ${shortVersion(d.b, 12)}`),
    h(
      "p",
      { id: "versions-diff-counts" },
      [
        count(d.added.length, "added"),
        count(d.removed.length, "removed"),
        count(d.changed.length, "changed"),
        count(d.unchanged, "unchanged"),
      ].join(" · "),
    ),
    d.added.length === 0
      ? null
      : h(
          "div",
          { id: "nodes-added" },
          h("h3", null, "Added"),
          h("ul", null, ...d.added.map((n) => nodeItem(n, "added"))),
        ),
    d.removed.length === 0
      ? null
      : h(
          "div",
          { id: "nodes-removed" },
          h("h3", null, "Removed"),
          h("ul", null, ...d.removed.map((n) => nodeItem(n, "removed"))),
        ),
    d.changed.length === 0
      ? null
      : h(
          "div",
          { id: "nodes-changed" },
          h("h3", null, "Changed"),
          ...d.changed.map((c) =>
            h(
              "div",
              { class: "version-node", data: { node: c.name, change: "changed" } },
              h("b", null, c.name),
              `: ${c.changes.join(", ")}`,
              c.changes.includes("dependencies")
                ? h(
                    "div",
                    { class: "muted" },
                    `dependencies: ${c.before.dependencies.join(", ") || "none"} → ${c.after.dependencies.join(", ") || "none"}`,
                  )
                : null,
              c.changes.includes("kind")
                ? h("div", { class: "muted" }, `kind: ${c.before.kind} → ${c.after.kind}`)
                : null,
              c.changes.includes("code") ? diffBlock(c.before.source, c.after.source) : null,
              c.changes.includes("documentation") ? diffBlock(c.before.documentation, c.after.documentation) : null,
            ),
          ),
        ),
  );
}

/** Renders the versions page into `app` (the DAG and versions from the address) and keeps it live. */
export async function versionsPage(app: HTMLElement): Promise<void> {
  const query = new URLSearchParams(location.search);
  const dag = query.get("dag") ?? "";
  const project = query.get("project") ?? "";
  document.title = `Versions${dag === "" ? "" : ` of ${dag}`} · hamilton-ts-ui`;
  const body = h("div");
  replace(app, h("h1", null, dag === "" ? "Versions" : `Versions of ${dag}`), body);
  if (dag === "") {
    replace(
      body,
      h(
        "p",
        { class: "error-title", id: "versions-problem" },
        "Which DAG? Open /versions?dag=<DAG name>&project=<project>.",
      ),
      h("p", null, h("a", { href: "/" }, "All runs")),
    );
    app.dataset.view = "versions";
    return;
  }
  const picked = { a: query.get("a") ?? "", b: query.get("b") ?? "" };
  const listQuery = new URLSearchParams({ dag, ...(project === "" ? {} : { project }) });
  const diffBox = h("div");
  let diffKey = "";

  async function loadDiff(): Promise<void> {
    const key = `${picked.a}\u0000${picked.b}`;
    if (picked.a === "" || picked.b === "") {
      replace(diffBox, h("p", { class: "muted" }, "Pick two versions with a template to see their difference."));
      return;
    }
    if (key === diffKey) return;
    diffKey = key;
    try {
      const d = await getJson<VersionsDiff>(
        `/api/versions/diff?${new URLSearchParams({ ...Object.fromEntries(listQuery), a: picked.a, b: picked.b })}`,
      );
      if (key === diffKey) replace(diffBox, diffView(d));
    } catch (error) {
      diffKey = "";
      replace(diffBox, h("p", { class: "error-title" }, (error as Error).message));
    }
  }

  function pick(which: "a" | "b", version: string): void {
    picked[which] = version;
    const q = new URLSearchParams({ ...Object.fromEntries(listQuery), a: picked.a, b: picked.b });
    history.replaceState(null, "", `/versions?${q}`);
    void loadDiff();
  }

  async function load(): Promise<void> {
    const { versions } = await getJson<{ versions: DagVersion[] }>(`/api/versions?${listQuery}`);
    if (picked.a === "" && picked.b === "") Object.assign(picked, defaultPair(versions));
    const table = h(
      "table",
      { class: "runs versions", id: "versions" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          ...["From", "To", "Version", "Project", "First seen", "Last seen", "Runs", "Failures", "Nodes"].map((t) =>
            h("th", null, t),
          ),
        ),
      ),
      h(
        "tbody",
        null,
        ...versions.map((v) =>
          h(
            "tr",
            { data: { version: v.graphVersion } },
            h(
              "td",
              null,
              v.nodes === null
                ? null
                : radio("a", v.graphVersion, picked.a === v.graphVersion, () => pick("a", v.graphVersion)),
            ),
            h(
              "td",
              null,
              v.nodes === null
                ? null
                : radio("b", v.graphVersion, picked.b === v.graphVersion, () => pick("b", v.graphVersion)),
            ),
            h("td", { title: v.graphVersion }, shortVersion(v.graphVersion, 12)),
            h("td", null, v.projectId),
            h("td", null, formatTime(v.firstSeen)),
            h("td", null, formatTime(v.lastSeen)),
            h("td", { class: "num" }, formatNumber(v.runs)),
            h("td", { class: v.failures > 0 ? "num failed" : "num" }, formatNumber(v.failures)),
            h("td", { class: "num" }, v.nodes === null ? "no template" : formatNumber(v.nodes)),
          ),
        ),
      ),
    );
    replace(
      body,
      versions.length === 0
        ? h("p", { class: "muted", id: "versions-problem" }, `No runs or templates of DAG ${JSON.stringify(dag)}.`)
        : table,
      diffBox,
    );
    diffKey = "";
    await loadDiff();
    app.dataset.view = "versions";
  }
  await load();
  onStoreChange(load);
}
