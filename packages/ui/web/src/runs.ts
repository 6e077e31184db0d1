/**
 * The runs list (`/`): newest first, filtered by project, DAG and status (kept in the query
 * string), live. Two ticked runs open the compare page.
 */
import { getJson } from "./api.js";
import { h, replace } from "./dom.js";
import { formatDuration, formatNumber, formatTime, shortVersion, statusClass, statusWord } from "./format.js";
import { costText, isLlmUsage } from "./llm-text.js";
import { onStoreChange } from "./live.js";
import type { RunSummary } from "./types.js";

/** The most runs the list fetches. */
const LIMIT = 1000;

function select(
  name: string,
  label: string,
  values: readonly string[],
  current: string,
  onChange: (v: string) => void,
): HTMLElement {
  const el = h("select", { id: `filter-${name}` });
  el.append(h("option", null, `all`));
  el.options[0]!.value = "";
  for (const v of values) {
    const o = h("option", null, v);
    o.value = v;
    el.append(o);
  }
  el.value = values.includes(current) ? current : "";
  el.addEventListener("change", () => onChange(el.value));
  return h("label", null, `${label} `, el);
}

function llmCell(llm: unknown): string {
  if (!isLlmUsage(llm) || llm.calls === 0) return "–";
  return `${formatNumber(llm.calls)} · ${costText(llm)}`;
}

/** Renders the runs list into `app` and keeps it live. */
export async function runsPage(app: HTMLElement): Promise<void> {
  document.title = "Runs · hamilton-ts-ui";
  const query = new URLSearchParams(location.search);
  const filter = {
    project: query.get("project") ?? "",
    dag: query.get("dag") ?? "",
    status: query.get("status") ?? "",
  };
  const ticked = new Set<string>();
  let runs: RunSummary[] = [];
  const filters = h("div", { class: "filters" });
  let filtersKey = "";
  const compare = h("button", { id: "compare", class: "compare" }, "Compare 2 ticked runs");
  compare.disabled = true;
  compare.addEventListener("click", () => {
    const [a, b] = [...ticked];
    if (a !== undefined && b !== undefined) location.href = `/compare?${new URLSearchParams({ a, b }).toString()}`;
  });
  const count = h("span", { class: "muted" });
  const tbody = h("tbody");
  // The LLM column shows when the server gives runs' LLM figures (`llm` on a summary).
  const llmHead = h("th", { class: "llm-col" }, "LLM calls · cost");
  const table = h(
    "table",
    { class: "runs" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        ...["", "Run", "Project", "DAG", "Status", "Started", "Duration", "Nodes", "Failures"].map((t) =>
          h("th", null, t),
        ),
        llmHead,
      ),
    ),
    tbody,
  );
  replace(app, h("h1", null, "Runs"), filters, h("div", { class: "toolbar" }, count, compare), table);

  function setFilter(key: keyof typeof filter, value: string): void {
    filter[key] = value;
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v !== "") q.set(k, v);
    history.replaceState(null, "", q.size > 0 ? `/?${q.toString()}` : "/");
    draw();
  }

  function draw(): void {
    const uniq = (f: (r: RunSummary) => string) => [...new Set(runs.map(f))].sort();
    const options = {
      project: uniq((r) => r.projectId),
      dag: uniq((r) => r.dagName),
      status: [...new Set(["RUNNING", "SUCCESS", "FAILURE", ...uniq((r) => r.status)])],
    };
    // The filters are built again only when their choices change (a select being used stays put).
    const key = JSON.stringify([options, filter]);
    if (key !== filtersKey) {
      filtersKey = key;
      replace(
        filters,
        select("project", "Project", options.project, filter.project, (v) => setFilter("project", v)),
        select("dag", "DAG", options.dag, filter.dag, (v) => setFilter("dag", v)),
        select("status", "Status", options.status, filter.status, (v) => setFilter("status", v)),
      );
    }
    const shown = runs.filter(
      (r) =>
        (filter.project === "" || r.projectId === filter.project) &&
        (filter.dag === "" || r.dagName === filter.dag) &&
        (filter.status === "" || r.status === filter.status),
    );
    count.textContent = `${formatNumber(shown.length)} of ${formatNumber(runs.length)} runs${runs.length >= LIMIT ? ` (the newest ${LIMIT})` : ""}`;
    const now = Date.now();
    const withLlm = shown.some((r) => isLlmUsage((r as { llm?: unknown }).llm));
    llmHead.hidden = !withLlm;
    tbody.replaceChildren(
      ...shown.map((r) => {
        const box = h("input");
        box.type = "checkbox";
        box.checked = ticked.has(r.runId);
        box.title = "Tick two runs to compare them";
        box.addEventListener("change", () => {
          if (box.checked) ticked.add(r.runId);
          else ticked.delete(r.runId);
          compare.disabled = ticked.size !== 2;
        });
        return h(
          "tr",
          { data: { runId: r.runId }, class: "run-row" },
          h("td", null, box),
          h(
            "td",
            null,
            h("a", { href: `/runs/${encodeURIComponent(r.runId)}`, class: "run-link" }, r.runId.slice(0, 13)),
          ),
          h("td", null, r.projectId),
          h("td", null, r.dagName, h("span", { class: "muted" }, ` ${shortVersion(r.dagVersion, 8)}`)),
          h("td", null, h("span", { class: `badge ${statusClass(r.status)}` }, statusWord(r.status))),
          h("td", null, formatTime(r.startTime)),
          h(
            "td",
            null,
            r.endTime === undefined
              ? `running ${formatDuration(now - r.startTime)}`
              : formatDuration(r.endTime - r.startTime),
          ),
          h("td", { class: "num" }, formatNumber(r.nodeCount)),
          h("td", { class: `num${r.failedCount > 0 ? " failed" : ""}` }, formatNumber(r.failedCount)),
          withLlm ? h("td", { class: "num llm-col" }, llmCell((r as { llm?: unknown }).llm)) : null,
        );
      }),
    );
    compare.disabled = ticked.size !== 2;
    if (runs.length === 0) tbody.append(h("tr", null, h("td", null), h("td", null, "No runs in the store yet.")));
  }

  async function load(): Promise<void> {
    runs = (await getJson<{ runs: RunSummary[] }>(`/api/runs?limit=${LIMIT}`)).runs;
    draw();
    app.dataset.view = "runs";
  }
  await load();
  onStoreChange(load);
}
