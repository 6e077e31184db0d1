/**
 * Live updates: one `EventSource` on `/api/events`, which the server signals (`store`) whenever
 * the store's files change. Each view refreshes on it, one refresh at a time.
 */

type Listener = () => Promise<void> | void;
const listeners = new Set<Listener>();
let source: EventSource | undefined;

function indicator(text: string, on: boolean): void {
  const el = document.getElementById("live");
  if (el === null) return;
  el.textContent = text;
  el.classList.toggle("on", on);
}

function connect(): void {
  if (source !== undefined) return;
  source = new EventSource("/api/events");
  source.addEventListener("error", () => indicator("reconnecting…", false));
  // `ready`: the server watches the store for this page from now on; refresh once for anything
  // that changed while the page loaded.
  source.addEventListener("ready", () => {
    indicator("live", true);
    for (const l of listeners) void l();
  });
  source.addEventListener("store", () => {
    for (const l of listeners) void l();
  });
}

/** Opens the event stream early, while the first view loads. */
export function startLive(): void {
  connect();
}

/**
 * Calls `refresh` whenever the store changes. Refreshes never overlap: a change during one
 * schedules exactly one more. Returns a function that stops listening.
 */
export function onStoreChange(refresh: () => Promise<void>): () => void {
  connect();
  let running = false;
  let again = false;
  const listener = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await refresh();
      } while (again);
    } catch (error) {
      console.warn("hamilton-ts-ui: refresh failed", error);
    } finally {
      running = false;
    }
  };
  listeners.add(listener);
  return () => listeners.delete(listener);
}
