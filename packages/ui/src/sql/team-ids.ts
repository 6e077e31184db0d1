/**
 * The tracking protocol's ids in team mode: DAG templates and dag runs numbered by the database's
 * sequences, so replicas on one database never hand out one id twice, and looked up in its tables,
 * so an id handed out by one replica is known to every other at once. A template is unique per
 * project, hashes and name: two replicas registering it at once get the same id.
 */
import type { NewTemplate, ProtocolIds, RunEntry, RunListing, TemplateEntry } from "../ids.js";
import type { SqlClient } from "./database.js";

interface TemplateRow {
  id: number;
  project_id: string;
  name: string;
  dag_hash: string;
  code_hash: string;
  created_at: number;
}

interface RunRow {
  id: number;
  template_id: number;
  project_id: string;
  created_at: number;
}

const TEMPLATE_COLUMNS = "id, project_id, name, dag_hash, code_hash, created_at";
const RUN_COLUMNS = "id, template_id, project_id, created_at";

function templateEntry(row: TemplateRow): TemplateEntry {
  return {
    kind: "template",
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    dagHash: row.dag_hash,
    codeHash: row.code_hash,
    graphVersion: `hamilton-ui-${row.id}`,
    createdAt: row.created_at,
  };
}

function runEntry(row: RunRow): RunEntry {
  return {
    kind: "run",
    id: row.id,
    templateId: row.template_id,
    projectId: row.project_id,
    createdAt: row.created_at,
  };
}

/** The protocol's ids in the team database (see the module's description). */
export class TeamIds implements ProtocolIds {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  async findTemplate(projectId: string, dagHash: string, codeHash: string, name: string) {
    const { rows } = await this.#db.query<TemplateRow>(
      `SELECT ${TEMPLATE_COLUMNS} FROM protocol_templates
       WHERE project_id = $1 AND dag_hash = $2 AND code_hash = $3 AND name = $4`,
      [projectId, dagHash, codeHash, name],
    );
    return rows[0] === undefined ? undefined : templateEntry(rows[0]);
  }

  async addTemplate(fields: NewTemplate): Promise<TemplateEntry> {
    const { projectId, name, dagHash, codeHash } = fields;
    const { rows } = await this.#db.query<TemplateRow>(
      `INSERT INTO protocol_templates (${TEMPLATE_COLUMNS})
       VALUES (nextval('protocol_template_ids'), $1, $2, $3, $4, $5)
       ON CONFLICT (project_id, dag_hash, code_hash, name) DO NOTHING
       RETURNING ${TEMPLATE_COLUMNS}`,
      [projectId, name, dagHash, codeHash, Date.now()],
    );
    if (rows[0] !== undefined) return templateEntry(rows[0]);
    // Another replica registered it first (committed after this statement's snapshot): read it now.
    const existing = await this.findTemplate(projectId, dagHash, codeHash, name);
    if (existing === undefined) {
      throw new Error(
        `Template ${JSON.stringify(name)} of project ${JSON.stringify(projectId)} was registered by another server but cannot be read back; was it deleted meanwhile?`,
      );
    }
    return existing;
  }

  async addRun(templateId: number, projectId: string): Promise<RunEntry> {
    const { rows } = await this.#db.query<RunRow>(
      `INSERT INTO protocol_runs (${RUN_COLUMNS}) VALUES (nextval('protocol_run_ids'), $1, $2, $3)
       RETURNING ${RUN_COLUMNS}`,
      [templateId, projectId, Date.now()],
    );
    return runEntry(rows[0]!);
  }

  async template(id: number): Promise<TemplateEntry | undefined> {
    const { rows } = await this.#db.query<TemplateRow>(
      `SELECT ${TEMPLATE_COLUMNS} FROM protocol_templates WHERE id = $1`,
      [id],
    );
    return rows[0] === undefined ? undefined : templateEntry(rows[0]);
  }

  async run(id: number): Promise<RunEntry | undefined> {
    const { rows } = await this.#db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM protocol_runs WHERE id = $1`, [id]);
    return rows[0] === undefined ? undefined : runEntry(rows[0]);
  }

  async listRuns({ templateId, projectId, limit, offset }: RunListing): Promise<RunEntry[]> {
    const { rows } = await this.#db.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM protocol_runs
       WHERE ($1::bigint IS NULL OR template_id = $1) AND ($2::text IS NULL OR project_id = $2)
       ORDER BY id DESC LIMIT $3 OFFSET $4`,
      [templateId ?? null, projectId ?? null, limit, offset],
    );
    return rows.map(runEntry);
  }
}
