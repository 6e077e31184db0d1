/**
 * The node updates of `HamiltonUIClient`: a run's node records as `PUT /dag_runs_bulk` (task
 * updates merged per node, attributes sent once), the check of what the server stored after an
 * answer was lost, and the updates set aside when the server keeps refusing them.
 */
import { isRetryable, TrackerError } from "./errors.js";
import { storedAttributeKeys } from "./hamilton-ui-answers.js";
import { type HamiltonUIHttp, isDropped, isUnsent, MAX_RESPONSE_BYTES } from "./hamilton-ui-http.js";
import {
  ATTRIBUTE_TYPES,
  nodeAttributes,
  taskUpdate,
  type NodeAttribute,
  type TaskUpdate,
} from "./hamilton-ui-payloads.js";
import { type BulkItem, describeItem, MAX_REFUSALS, type RunState } from "./hamilton-ui-run-state.js";
import type { NodeRunRecord, TrackerRecord } from "./records.js";

/** An update given up on, as the write that reports it names it. */
export interface SetAsideItem {
  readonly what: string;
  readonly error: string;
  readonly status: number | undefined;
  readonly records: readonly NodeRunRecord[];
}

/** Sends node updates of the runs of one client. */
export class BulkSender {
  readonly #http: HamiltonUIHttp;
  readonly #done: WeakSet<TrackerRecord>;
  /** Updates set aside since the last write reported them. */
  readonly #setAside: SetAsideItem[] = [];

  /** `done`: the client's records fully delivered (or set aside), shared with it. */
  constructor(http: HamiltonUIHttp, done: WeakSet<TrackerRecord>) {
    this.#http = http;
    this.#done = done;
  }

  /** The updates set aside since the last call (the write then reports them). */
  takeSetAside(): SetAsideItem[] {
    return this.#setAside.splice(0);
  }

  /** Updates set aside and not yet reported. */
  get setAside(): readonly SetAsideItem[] {
    return this.#setAside;
  }

  /**
   * Sends a run's node records as `PUT /dag_runs_bulk`: task updates (upserted by the server, so
   * safe to repeat) merged per node, and attributes (inserted: a repeat is HTTP 500), each only if
   * the server has not stored it. After an answer was lost, the server is asked what it stored
   * before anything is sent again; items the server keeps refusing are sent one per request, and
   * set aside after {@link MAX_REFUSALS} refusals. A bulk whose kept-alive connection dropped
   * before any answer is checked and sent again at once (`again`: it happened in this call once).
   */
  async send(
    run: RunState,
    records: readonly NodeRunRecord[],
    signal: AbortSignal | undefined,
    again = false,
  ): Promise<void> {
    const tasks = new Map<string, { task: TaskUpdate; records: NodeRunRecord[] }>();
    const attributes = new Map<string, { attribute: NodeAttribute; records: NodeRunRecord[] }>();
    for (const record of records) {
      if (this.#done.has(record)) continue;
      const update = taskUpdate(record, run.template.dependencies.get(record.node) ?? []);
      const previous = tasks.get(update.node_name);
      // Merged per node, later keys win (as the Python SDK does within a batch).
      if (previous === undefined) tasks.set(update.node_name, { task: update, records: [record] });
      else {
        previous.task = { ...previous.task, ...update };
        previous.records.push(record);
      }
      for (const attribute of nodeAttributes(record)) {
        const key = `${attribute.node_name}\0${attribute.name}`;
        const entry = attributes.get(key);
        if (entry === undefined) attributes.set(key, { attribute, records: [record] });
        else {
          entry.attribute = attribute;
          entry.records.push(record);
        }
      }
    }
    let items: BulkItem[] = [
      // A task update is keyed with its status: the final update is new after the RUNNING one was stored.
      ...[...tasks.values()].map(({ task, records }) => ({
        key: `task\0${task.node_name}\0${task.status}`,
        task,
        records,
      })),
      ...[...attributes].map(([key, { attribute, records }]) => ({ key, attribute, records })),
    ].filter((item) => !run.stored.has(item.key) && !run.setAside.has(item.key));
    const retried = items.some((item) => run.failures.has(item.key) || run.uncertain.has(item.key));
    if (retried) {
      // Some of these were sent before and the answer was lost: ask what the server has.
      await this.#checkStored(run, signal);
      items = items.filter((item) => !run.stored.has(item.key));
    }
    // Items the server refused before go one per request: one bad value must not hold back the rest.
    const refusedBefore = (item: BulkItem) => (run.failures.get(item.key)?.refused ?? 0) > 0;
    const fresh = items.filter((item) => !refusedBefore(item));
    const groups = [fresh, ...items.filter(refusedBefore).map((item) => [item])].filter((g) => g.length > 0);
    try {
      for (const group of groups) {
        if (await this.#putBulk(run, group, retried, signal)) {
          for (const item of group) await this.#putBulk(run, [item], retried, signal);
        }
      }
    } catch (error) {
      // Its items are marked as failed and uncertain (as after a lost answer): checked, then sent.
      if (isDropped(error) && !again) return this.send(run, records, signal, true);
      throw error;
    }
    for (const record of records) this.#done.add(record);
  }

  /**
   * One `PUT /dag_runs_bulk`. Returns true when the server refused the group as invalid (a 4xx)
   * and it must be sent again item by item, to find the one it refuses.
   */
  async #putBulk(
    run: RunState,
    group: readonly BulkItem[],
    checked: boolean,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const attributes = group.flatMap((item) => (item.attribute === undefined ? [] : [item.attribute]));
    const body = { attributes, task_updates: group.flatMap((item) => (item.task === undefined ? [] : [item.task])) };
    const text = JSON.stringify(body);
    // The check after a lost answer reads back the run's node runs and attributes: what this client sent.
    run.sentBytes += Buffer.byteLength(text);
    try {
      await this.#http.request("PUT", `/dag_runs_bulk?dag_run_id=${run.dagRunId}`, text, signal);
    } catch (error) {
      if (isUnsent(error)) throw error;
      const http = TrackerError.isInstance(error) && error.code === "HTTP_ERROR" ? error.status : undefined;
      // Refused as invalid (a 4xx other than 408/429): nothing of it was stored.
      const invalid = http !== undefined && http >= 400 && http < 500 && http !== 408 && http !== 429;
      // Other errors that are not retried (credentials, a redirect, an answer too large) concern every request alike.
      if (!invalid && !isRetryable(error)) throw error;
      if (invalid) {
        if (group.length > 1) return true;
        this.#putAside(run, group[0]!, error, http);
        return false;
      }
      // Ambiguous (5xx, a timeout, a reset): the server may have stored the attributes.
      // A 500-class answer counts as a refusal once the server was seen answering the check before it.
      const refusal = http !== undefined && http >= 500 && !(http >= 502 && http <= 504) && checked;
      for (const item of group) {
        if (item.attribute !== undefined) run.uncertain.add(item.key);
        const count = run.failures.get(item.key) ?? { failed: 0, refused: 0 };
        count.failed++;
        if (refusal) count.refused++;
        run.failures.set(item.key, count);
      }
      if (group.length === 1 && run.failures.get(group[0]!.key)!.refused >= MAX_REFUSALS) {
        this.#putAside(run, group[0]!, error, http);
        return false;
      }
      throw error;
    }
    for (const item of group) {
      run.stored.add(item.key);
      run.uncertain.delete(item.key);
      run.failures.delete(item.key);
    }
    return false;
  }

  /** Gives up on one item: it is never sent again, and the write reports it. */
  #putAside(run: RunState, item: BulkItem, error: unknown, status: number | undefined): void {
    run.setAside.add(item.key);
    run.uncertain.delete(item.key);
    this.#setAside.push({
      what: `run ${run.runId} (dag_run ${run.dagRunId}): ${describeItem(item)}`,
      // The answer, without the advice to wait for a retry that will not come.
      error: (error instanceof Error ? error.message : String(error)).replace(
        / (The records are kept and retried|The request was refused as invalid).*$/,
        "",
      ),
      status,
      records: item.records,
    });
  }

  /**
   * Asks the server which of the run's uncertain attributes it stored
   * (`GET /dag_runs/{id}?attr=<type>…`): those are marked stored, the others are sent again.
   */
  async #checkStored(run: RunState, signal: AbortSignal | undefined): Promise<void> {
    if (run.uncertain.size === 0) {
      // Only task updates failed before: one cheap read tells whether the server answers again.
      await this.#http.request("GET", "/phone_home", undefined, signal);
      return;
    }
    const query = new URLSearchParams(ATTRIBUTE_TYPES.map((type): [string, string] => ["attr", type]));
    // The answer echoes what this client sent for the run: read as much as that, and no more.
    const found = await this.#http.request(
      "GET",
      `/dag_runs/${run.dagRunId}?${query.toString()}`,
      undefined,
      signal,
      undefined,
      MAX_RESPONSE_BYTES + 2 * run.sentBytes,
    );
    const stored = storedAttributeKeys(found);
    for (const key of run.uncertain) {
      if (stored.has(key)) run.stored.add(key);
    }
    run.uncertain.clear();
  }
}
