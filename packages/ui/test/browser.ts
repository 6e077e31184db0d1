/** Debian's Chromium driven by playwright-core, for the browser tests. */
import { type Browser, chromium, type Page } from "playwright-core";

/** Launches Chromium (`CHROMIUM_PATH`, default `/usr/bin/chromium`). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
}

/** What a page did that it must not: dialogs, page errors, console errors. */
export interface PageTrouble {
  readonly dialogs: string[];
  readonly errors: string[];
  readonly console: string[];
}

/** Records dialogs (dismissed), uncaught errors and console errors of a page. */
export function watchTrouble(page: Page): PageTrouble {
  const trouble: PageTrouble = { dialogs: [], errors: [], console: [] };
  page.on("dialog", (d) => {
    trouble.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on("pageerror", (e) => trouble.errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") trouble.console.push(m.text());
  });
  return trouble;
}
