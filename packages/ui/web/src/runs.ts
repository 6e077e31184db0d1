/**
 * The runs list (`/`): newest first, a page at a time with no cap ("older" follows the server's
 * cursor), filtered by project, DAG, status, text, tags and days (all kept in the address), with
 * an activity chart above it (a click on a day filters to it). Columns sort as numbers. Ticked
 * runs (across pages) open the compare page (2–10) or are deleted after a confirmation in the
 * page. Live: the page shown is read again whenever the store changes, so new runs appear and
 * runs deleted elsewhere disappear.
 */
import { activitySpan } from "./activity-data.js";
import { activitySection } from "./activity.js";
import { ApiError, deleteResource, getJson } from "./api.js";
import { h, replace } from "./dom.js";
import { formatDuration, formatNumber, formatTime, shortVersion, statusClass, statusWord } from "./format.js";
import { onStoreChange } from "./live.js";
import { costText } from "./llm-text.js";
import type { LlmUsage } from "./types.js";
import { activityRequest, filterSearch, parseTags, readFilter, type RunsFilter, runsRequest } from "./runs-filters.js";
import { RunsPaging } from "./runs-paging.js";
import {
  anyKnown,
  compareHref,
  DEFAULT_SORT,
  figure,
  type ListedRun,
  MAX_COMPARE,
  nextSort,
  type RunsSort,
  runLlm,
  type SortKey,
  sortRuns,
} from "./runs-table.js";

/** `2 · $0.0012`: a run's LLM calls and cost, `–` without any. */
function llmCell(llm: LlmUsage | undefined): string {
  if (llm === undefined || llm.calls === 0) return "–";
  return `${formatNumber(llm.calls)} · ${costText(llm)}`;
}

/** The page sizes offered. */
const PAGE_SIZES = [100, 500, 1000] as const;

function labelled(label: string, control: HTMLElement): HTMLElement {
  return h("label", null, `${label} `, control);
}

function select(id: string, values: readonly string[], current: string, onChange: (v: string) => void): HTMLElement {
  const el = h("select", { id });
  el.append(h("option", null, "all"));
  el.options[0]!.value = "";
  for (const v of new Set([...values, ...(current === "" ? [] : [current])])) {
    const o = h("option", null, v);
    o.value = v;
    el.append(o);
  }
  el.value = current;
  el.addEventListener("change", () => onChange(el.value));
  return el;
}

function input(id: string, type: string, value: string, placeholder: string): HTMLInputElement {
  const el = h("input", { id });
  el.type = type;
  el.value = value;
  el.placeholder = placeholder;
  return el;
}

interface Column {
  readonly title: string;
  readonly sort?: SortKey;
  /** Shown only when some run of the page has the figure. */
  readonly optional?: boolean;
}

const COLUMNS: readonly Column[] = [
  { title: "" },
  { title: "Run" },
  { title: "Project" },
  { title: "DAG" },
  { title: "Status" },
  { title: "Started", sort: "started" },
  { title: "Duration", sort: "duration" },
  { title: "Node runs", sort: "nodes" },
  { title: "Failures", sort: "failures" },
  { title: "LLM calls · cost", sort: "cost", optional: true },
  { title: "Tokens", sort: "tokens", optional: true },
  { title: "Cache hits", sort: "cacheHits", optional: true },
];

/** Renders the runs list into `app` and keeps it live. */
export async function runsPage(app: HTMLElement): Promise<void> {
  document.title = "Runs · hamilton-ts-ui";
  let filter: RunsFilter = readFilter(location.search);
  let paging = new RunsPaging(PAGE_SIZES[0]);
  let sort: RunsSort = DEFAULT_SORT;
  let runs: ListedRun[] = [];
  const ticked = new Set<string>();
  const seen = { project: new Set<string>(), dag: new Set<string>() };

  const filters = h("form", { class: "filters", id: "filters" });
  const activity = activitySection((day) => setFilter({ ...filter, from: day, to: day }));
  const count = h("span", { class: "muted", id: "runs-count" });
  const newer = h("button", { id: "newer" }, "← Newer");
  const older = h("button", { id: "older" }, "Older →");
  const pageSize = h("select", { id: "page-size" });
  for (const size of PAGE_SIZES) {
    const o = h("option", null, `${size} per page`);
    o.value = String(size);
    pageSize.append(o);
  }
  const tickedText = h("span", { class: "muted", id: "ticked" });
  const compare = h("button", { id: "compare", class: "compare" }, "Compare");
  const remove = h("button", { id: "delete", class: "danger" }, "Delete…");
  const result = h("p", { id: "runs-message", class: "muted" });
  const head = h("tr");
  const tbody = h("tbody");
  const table = h("table", { class: "runs" }, h("thead", null, head), tbody);
  const dialogText = h("p", { id: "delete-question" });
  const cancel = h("button", { id: "delete-cancel" }, "Cancel");
  const confirm = h("button", { id: "delete-confirm", class: "danger" }, "Delete");
  const dialog = h(
    "dialog",
    { id: "delete-dialog" },
    dialogText,
    h("div", { class: "dialog-buttons" }, cancel, confirm),
  );
  replace(
    app,
    h("h1", null, "Runs"),
    filters,
    activity.el,
    h("div", { class: "toolbar runs-toolbar" }, count, newer, older, pageSize, tickedText, compare, remove),
    result,
    table,
    dialog,
  );

  function drawFilters(): void {
    const q = input("filter-q", "search", filter.q, "text in DAG, node names, errors, tags");
    const tags = input("filter-tag", "text", filter.tags.join(", "), "key:value, key:value");
    const from = input("filter-from", "date", filter.from, "");
    const to = input("filter-to", "date", filter.to, "");
    const apply = h("button", { id: "filter-apply" }, "Search");
    apply.type = "submit";
    const clear = h("a", { href: "/", id: "filter-clear" }, "clear");
    clear.addEventListener("click", (event) => {
      event.preventDefault();
      setFilter({ project: "", dag: "", status: "", q: "", tags: [], from: "", to: "" });
    });
    const read = (): RunsFilter => {
      const parsed = parseTags(tags.value);
      result.textContent =
        parsed.bad.length > 0 ? `Ignored tag filters without key:value: ${parsed.bad.join(", ")}` : "";
      return { ...filter, q: q.value.trim(), tags: parsed.tags, from: from.value, to: to.value };
    };
    filters.onsubmit = (event) => {
      event.preventDefault();
      setFilter(read());
    };
    for (const el of [from, to]) el.addEventListener("change", () => setFilter(read()));
    replace(
      filters,
      labelled("Search", q),
      labelled(
        "Project",
        select("filter-project", [...seen.project].sort(), filter.project, (v) => setFilter({ ...filter, project: v })),
      ),
      labelled(
        "DAG",
        select("filter-dag", [...seen.dag].sort(), filter.dag, (v) => setFilter({ ...filter, dag: v })),
      ),
      labelled(
        "Status",
        select("filter-status", ["RUNNING", "SUCCESS", "FAILURE"], filter.status, (v) =>
          setFilter({ ...filter, status: v }),
        ),
      ),
      labelled("Tags", tags),
      labelled("From", from),
      labelled("To", to),
      apply,
      clear,
    );
  }
  let filtersKey = "";
  function maybeDrawFilters(): void {
    // Built again only when their choices change (a control being used stays put).
    const key = JSON.stringify([[...seen.project], [...seen.dag], filter]);
    if (key === filtersKey) return;
    filtersKey = key;
    drawFilters();
  }

  function setFilter(next: RunsFilter): void {
    filter = next;
    history.replaceState(null, "", `/${filterSearch(filter)}`);
    paging.reset();
    void reload();
  }

  function drawHead(withColumn: (c: Column) => boolean): void {
    head.replaceChildren(
      ...COLUMNS.filter(withColumn).map((c) => {
        if (c.sort === undefined) return h("th", null, c.title);
        const key = c.sort;
        const mark = sort.key === key ? (sort.descending ? " ▼" : " ▲") : "";
        const button = h("button", { class: "sort", data: { sort: key } }, c.title, mark);
        button.type = "button";
        button.addEventListener("click", () => {
          sort = nextSort(sort, key);
          draw();
        });
        return h("th", { class: c.sort === "started" ? "" : "num" }, button);
      }),
    );
  }

  function drawSelection(): void {
    const n = ticked.size;
    tickedText.textContent = n === 0 ? "" : `${formatNumber(n)} ticked`;
    compare.disabled = compareHref([...ticked]) === undefined;
    compare.title = `Tick 2 to ${MAX_COMPARE} runs to compare them`;
    remove.disabled = n === 0;
  }

  function draw(): void {
    const now = Date.now();
    const optional = new Map(
      COLUMNS.filter((c) => c.optional === true).map((c) => {
        // The LLM column shows for runs with LLM figures, also when their cost is unknown.
        const shown = c.sort === "cost" ? runs.some((r) => runLlm(r) !== undefined) : anyKnown(runs, c.sort!, now);
        return [c.sort!, shown] as const;
      }),
    );
    const withColumn = (c: Column) => c.optional !== true || optional.get(c.sort!) === true;
    drawHead(withColumn);
    const first = paging.offset;
    count.textContent =
      runs.length === 0
        ? paging.page === 0
          ? "No runs match."
          : "No runs on this page."
        : `Runs ${formatNumber(first + 1)}–${formatNumber(first + runs.length)}${paging.hasOlder ? ", older ones on the next pages" : ""}`;
    newer.disabled = !paging.hasNewer;
    older.disabled = !paging.hasOlder;
    const rows = sortRuns(runs, sort, now).map((r) => {
      const box = h("input", { class: "tick" });
      box.type = "checkbox";
      box.checked = ticked.has(r.runId);
      box.title = `Tick runs to compare (2 to ${MAX_COMPARE}) or delete them`;
      box.addEventListener("change", () => {
        if (box.checked) ticked.add(r.runId);
        else ticked.delete(r.runId);
        drawSelection();
      });
      const llm = runLlm(r);
      const cacheHits = figure(r, "cacheHits", now);
      const tokens = figure(r, "tokens", now);
      const cells: (HTMLElement | null)[] = [
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
          { class: "num" },
          r.endTime === undefined
            ? `running ${formatDuration(now - r.startTime)}`
            : formatDuration(r.endTime - r.startTime),
        ),
        h("td", { class: "num" }, formatNumber(r.nodeCount)),
        h("td", { class: `num${r.failedCount > 0 ? " failed" : ""}` }, formatNumber(r.failedCount)),
        optional.get("cost") === true ? h("td", { class: "num llm-col" }, llmCell(llm)) : null,
        optional.get("tokens") === true ? h("td", { class: "num" }, formatNumber(tokens)) : null,
        optional.get("cacheHits") === true ? h("td", { class: "num" }, formatNumber(cacheHits)) : null,
      ];
      return h("tr", { data: { runId: r.runId }, class: "run-row" }, ...cells);
    });
    tbody.replaceChildren(...rows);
    if (runs.length === 0 && paging.page === 0) {
      const hasFilter = filterSearch(filter) !== "";
      tbody.append(
        h(
          "tr",
          null,
          h("td", null),
          h("td", null, hasFilter ? "No runs match these filters." : "No runs in the store yet."),
        ),
      );
    }
    drawSelection();
  }

  let listRequests = 0;
  async function loadList(): Promise<void> {
    const request = runsRequest(filter, paging.size, paging.cursor);
    const seq = ++listRequests;
    const page = await getJson<{ runs: ListedRun[]; next: string | null }>(request);
    // A later request (other filters or page, or a refresh after a change) owns the table: an
    // earlier answer arriving after it would bring back a run deleted meanwhile.
    if (seq !== listRequests) return;
    runs = page.runs;
    paging.loaded(page.next);
    for (const r of runs) {
      seen.project.add(r.projectId);
      seen.dag.add(r.dagName);
    }
    maybeDrawFilters();
    draw();
  }

  async function reload(force = false): Promise<void> {
    maybeDrawFilters();
    const span = activitySpan(filter.from, Date.now());
    try {
      await Promise.all([loadList(), activity.update(activityRequest(filter, span), force)]);
    } catch (error) {
      result.textContent = error instanceof Error ? error.message : String(error);
      result.className = "error-title";
      return;
    }
    app.dataset.view = "runs";
  }

  newer.addEventListener("click", () => {
    if (paging.newer()) void reload();
  });
  older.addEventListener("click", () => {
    if (paging.older()) void reload();
  });
  pageSize.addEventListener("change", () => {
    paging = new RunsPaging(Number(pageSize.value));
    void reload();
  });
  compare.addEventListener("click", () => {
    const href = compareHref([...ticked]);
    if (href !== undefined) location.href = href;
  });
  remove.addEventListener("click", () => {
    const n = ticked.size;
    if (n === 0) return;
    dialogText.textContent = `Delete ${n === 1 ? "this run" : `these ${formatNumber(n)} runs`} (${[...ticked].join(", ")})? Their node runs and spans are deleted too; this cannot be undone.`;
    dialog.showModal();
  });
  cancel.addEventListener("click", () => dialog.close());
  confirm.addEventListener("click", async () => {
    dialog.close();
    const ids = [...ticked];
    const failed: string[] = [];
    let deleted = 0;
    for (const id of ids) {
      try {
        await deleteResource(`/api/runs/${encodeURIComponent(id)}`);
        deleted++;
        ticked.delete(id);
      } catch (error) {
        const message = error instanceof ApiError ? error.message : String(error);
        failed.push(`${id}: ${message}`);
        // Already gone: nothing left to tick.
        if (error instanceof ApiError && error.status === 404) ticked.delete(id);
      }
    }
    result.className = failed.length > 0 ? "error-title" : "muted";
    result.textContent = [`Deleted ${formatNumber(deleted)} of ${formatNumber(ids.length)}.`, ...failed].join(" ");
    await reload(true);
  });

  await reload();
  onStoreChange(() => reload(true));
}
