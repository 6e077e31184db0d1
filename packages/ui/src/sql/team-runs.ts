/**
 * The state of the runs the tracking protocol receives, in team mode: nothing in a replica's
 * memory, everything in the database. A change to a run reads the run and the node runs it touches,
 * and stores what it made, holding an advisory lock on the run (so two replicas receiving updates
 * of one run at once take turns, and neither loses what the other added to a node); the records go
 * through the index's own upserts (`ingestRecords`, whose `ON CONFLICT … WHERE` is the store's fold
 * rule), and the protocol's node attributes into `protocol_attributes`, one row each.
 */
import { createHash } from "node:crypto";
import {
  type DagTemplateRecord,
  lostNodeRun,
  type NodeRunRecord,
  nodeRunKey,
  type RunRecord,
} from "@hamilton-ts/store";
import type {
  NodeSelection,
  ProtocolRuns,
  RunChange,
  RunState,
  StoredAttribute,
  UiNodeRunRecord,
} from "../run-store.js";
import type { SqlClient } from "./database.js";
import { ingestRecords, ingestTemplates } from "./ingest.js";
import { jsonParam } from "./text-params.js";

/** The advisory lock a change to one run holds (a hash of its id; the migration lock is another key). */
export function runLockKey(runId: string): bigint {
  return createHash("sha256").update(`hamilton-ts-ui run\0${runId}`).digest().readBigInt64BE(0);
}

/**
 * The `(node, task_id)` rows a protocol node name may be stored under: `nodeRunKey` joins a task id
 * and a node with `-`, so `a-b-c` is node `a-b-c`, or task `a` of node `b-c`, or task `a-b` of `c`.
 */
function storedKeys(names: readonly string[]): { nodes: string[]; tasks: string[] } {
  const nodes: string[] = [];
  const tasks: string[] = [];
  for (const name of names) {
    nodes.push(name);
    tasks.push("");
    for (let i = name.indexOf("-"); i !== -1; i = name.indexOf("-", i + 1)) {
      nodes.push(name.slice(i + 1));
      tasks.push(name.slice(0, i));
    }
  }
  return { nodes, tasks };
}

const NODE_KEY = "CASE WHEN n.task_id = '' THEN n.node ELSE n.task_id || '-' || n.node END";

const READ_RUN = `SELECT record AS run, '[]'::jsonb AS nodes FROM runs WHERE run_id = $1`;

/** The run, and its node runs (all, or those under the given keys) each with its attributes by name. */
const READ_STATE = `
SELECT r.record AS run, coalesce((
  SELECT jsonb_agg(jsonb_build_object('record', n.record, 'attributes', a.attributes) ORDER BY n.seq)
  FROM node_runs n
  LEFT JOIN LATERAL (
    SELECT jsonb_object_agg(p.name, p.record) AS attributes FROM protocol_attributes p
    WHERE p.run_id = n.run_id AND p.node_name = ${NODE_KEY}
  ) a ON $5::boolean
  WHERE n.run_id = r.run_id
    AND ($2::boolean OR (n.node, n.task_id) IN (SELECT * FROM unnest($3::text[], $4::text[])))
), '[]'::jsonb) AS nodes
FROM runs r WHERE r.run_id = $1`;

const UPSERT_ATTRIBUTES = `
INSERT INTO protocol_attributes (run_id, node_name, name, record)
SELECT run_id, node_name, name, record
FROM jsonb_to_recordset($1::jsonb) AS x(run_id text, node_name text, name text, record jsonb)
ON CONFLICT (run_id, node_name, name) DO UPDATE SET record = excluded.record`;

interface StateRow {
  run: RunRecord | null;
  nodes: { record: NodeRunRecord; attributes: Record<string, StoredAttribute> | null }[];
}

/**
 * A run's state as the protocol sees it, read in one statement; the node runs' stored attributes
 * only when asked (a change needs none: what it adds is stored, and what was stored stays).
 */
async function readState(
  sql: SqlClient,
  runId: string,
  selection: NodeSelection,
  attributes: boolean,
): Promise<RunState | undefined> {
  let rows: StateRow[];
  if (selection === "all" || selection.length > 0) {
    const keys = storedKeys(selection === "all" ? [] : selection);
    ({ rows } = await sql.query<StateRow>(READ_STATE, [
      runId,
      selection === "all",
      keys.nodes,
      keys.tasks,
      attributes,
    ]));
  } else {
    ({ rows } = await sql.query<StateRow>(READ_RUN, [runId]));
  }
  const run = rows[0]?.run ?? undefined;
  if (run === undefined) return undefined;
  const nodes = new Map<string, UiNodeRunRecord>();
  for (const { record, attributes } of rows[0]!.nodes) {
    // As the file store's fold reads it: a node run still RUNNING in a run that ended is lost.
    const node = run.status !== "RUNNING" && record.status === "RUNNING" ? lostNodeRun(record, run) : record;
    nodes.set(nodeRunKey(node), attributes === null ? node : { ...node, uiAttributes: attributes });
  }
  return { run, nodes };
}

/** The protocol's runs in the team database (see the module's description). */
export class TeamRuns implements ProtocolRuns {
  readonly #db: SqlClient;
  readonly #changed: () => void;

  /** @param changed Called after each write (the store tells the other replicas). */
  constructor(db: SqlClient, changed: () => void) {
    this.#db = db;
    this.#changed = changed;
  }

  /** Nothing to make: a project is its rows. */
  async ensureProject(_projectId: string): Promise<void> {}

  async writeTemplate(projectId: string, template: DagTemplateRecord): Promise<void> {
    await ingestTemplates(this.#db, projectId, [template]);
    this.#changed();
  }

  read(_projectId: string, runId: string, nodes: NodeSelection = "all"): Promise<RunState | undefined> {
    return readState(this.#db, runId, nodes, true);
  }

  async update<T>(
    projectId: string,
    runId: string,
    change: (state: RunState | undefined) => RunChange<T>,
    nodes: NodeSelection = "all",
  ): Promise<T> {
    let wrote = false;
    const value = await this.#db.exclusive(runLockKey(runId), async (sql) => {
      // Without the stored attributes: the change's node records then carry only those it adds.
      const state = await readState(sql, runId, nodes, false);
      const { records, value } = change(state);
      if (records.length > 0) {
        await storeRecords(sql, projectId, records);
        wrote = true;
      }
      return value;
    });
    if (wrote) this.#changed();
    return value;
  }
}

/**
 * Stores a change's records: the node attributes they carry (those the change added) into their
 * table first, then the run and node records (without the attributes) in the index's upserts. A
 * failure between the two leaves the request unanswered; its client sends it again, and storing it
 * twice is harmless.
 */
async function storeRecords(
  sql: SqlClient,
  projectId: string,
  records: readonly (RunRecord | UiNodeRunRecord)[],
): Promise<void> {
  const attributes = new Map<string, { run_id: string; node_name: string; name: string; record: StoredAttribute }>();
  const lean: (RunRecord | NodeRunRecord)[] = [];
  for (const record of records) {
    if (record.type !== "node_run") {
      lean.push(record);
      continue;
    }
    const { uiAttributes, ...node } = record;
    lean.push(node);
    for (const [name, attribute] of Object.entries(uiAttributes ?? {})) {
      const key = `${attribute.node_name}\0${name}`;
      attributes.set(key, { run_id: record.runId, node_name: attribute.node_name, name, record: attribute });
    }
  }
  if (attributes.size > 0) await sql.query(UPSERT_ATTRIBUTES, [jsonParam([...attributes.values()])]);
  await ingestRecords(sql, projectId, lean);
}
