import { describe, expect, it } from "vitest";
import { RunsPaging } from "./runs-paging.js";

describe("the runs list's paging", () => {
  it("walks older pages by the server's cursors and back, with no cap", () => {
    const paging = new RunsPaging(100);
    expect(paging.cursor).toBeUndefined();
    expect(paging.older()).toBe(false);
    paging.loaded("c1");
    expect(paging.hasOlder).toBe(true);
    expect(paging.hasNewer).toBe(false);
    for (let i = 1; i <= 20; i++) {
      expect(paging.older()).toBe(true);
      expect(paging.cursor).toBe(`c${i}`);
      expect(paging.offset).toBe(i * 100);
      paging.loaded(`c${i + 1}`);
    }
    expect(paging.newer()).toBe(true);
    expect(paging.cursor).toBe("c19");
    // The page was read again (live) and its cursor moved: "older" follows the new one.
    paging.loaded("c20-new");
    expect(paging.older()).toBe(true);
    expect(paging.cursor).toBe("c20-new");
  });

  it("stops at the last page and reloads the page shown with the same cursor", () => {
    const paging = new RunsPaging(10);
    paging.loaded("a");
    paging.older();
    paging.loaded(null);
    expect(paging.hasOlder).toBe(false);
    expect(paging.older()).toBe(false);
    // A refresh (live) answers the same page again.
    expect(paging.cursor).toBe("a");
    paging.loaded(null);
    expect(paging.page).toBe(1);
  });

  it("goes back to the newest page on reset", () => {
    const paging = new RunsPaging(10);
    paging.loaded("a");
    paging.older();
    paging.loaded("b");
    paging.reset();
    expect(paging.page).toBe(0);
    expect(paging.cursor).toBeUndefined();
    expect(paging.hasOlder).toBe(false);
    expect(paging.newer()).toBe(false);
  });
});
