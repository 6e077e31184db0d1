import { describe, expect, it } from "vitest";
import {
  activityRequest,
  DAY_MS,
  dayOf,
  filterSearch,
  isDay,
  NO_FILTER,
  parseTags,
  readFilter,
  runsRequest,
} from "./runs-filters.js";

describe("the runs list's filters in the address", () => {
  it("round-trip every field, tags repeated and kept in order", () => {
    const filter = {
      project: "p 1",
      dag: "d&x",
      status: "FAILURE",
      q: "timeout: 50%",
      tags: ["team:search", "env:prod:eu"],
      from: "2026-11-30",
      to: "2026-12-07",
    };
    const search = filterSearch(filter);
    expect(search).toBe(
      "?project=p+1&dag=d%26x&status=FAILURE&q=timeout%3A+50%25&tag=team%3Asearch&tag=env%3Aprod%3Aeu&from=2026-11-30&to=2026-12-07",
    );
    expect(readFilter(search)).toEqual(filter);
  });

  it("write nothing for no filter, and read an empty address as no filter", () => {
    expect(filterSearch(NO_FILTER)).toBe("");
    expect(readFilter("")).toEqual(NO_FILTER);
  });

  it("drop days that are not calendar days and tags without a key", () => {
    expect(readFilter("?from=2026-02-30&to=yesterday&tag=:x&tag=novalue&tag=k:v")).toEqual({
      ...NO_FILTER,
      tags: ["k:v"],
    });
    expect(isDay("2026-02-28")).toBe(true);
    expect(isDay("2026-2-28")).toBe(false);
  });
});

describe("the read API requests the filters make", () => {
  it("send days as start times in ms, the last day included, the cursor and the page size", () => {
    const url = new URL(
      runsRequest({ ...NO_FILTER, q: "x", tags: ["a:b"], from: "2026-12-01", to: "2026-12-01" }, 500, "CUR"),
      "http://h",
    );
    expect(url.pathname).toBe("/api/runs");
    expect(url.searchParams.get("from")).toBe(String(Date.UTC(2026, 11, 1)));
    expect(url.searchParams.get("to")).toBe(String(Date.UTC(2026, 11, 1) + DAY_MS));
    expect(url.searchParams.getAll("tag")).toEqual(["a:b"]);
    expect(url.searchParams.get("q")).toBe("x");
    expect(url.searchParams.get("limit")).toBe("500");
    expect(url.searchParams.get("before")).toBe("CUR");
    expect(new URL(runsRequest(NO_FILTER, 100), "http://h").search).toBe("?limit=100");
    expect(dayOf(Date.UTC(2026, 11, 1) + DAY_MS - 1)).toBe("2026-12-01");
  });

  it("ask the activity of the filter's project and DAG only", () => {
    expect(activityRequest({ ...NO_FILTER, project: "p", dag: "d", q: "x", status: "SUCCESS" }, 30)).toBe(
      "/api/activity?project=p&dag=d&days=30",
    );
  });

  it("read the tag box: key:value parts, the others apart", () => {
    expect(parseTags(" team:search, ,env:prod:eu, oops ")).toEqual({
      tags: ["team:search", "env:prod:eu"],
      bad: ["oops"],
    });
  });
});
