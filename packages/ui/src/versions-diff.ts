/**
 * The node-by-node difference of two versions of a DAG (two DAG templates): nodes added, removed,
 * and changed — their code (version or source), dependencies, kind or documentation — with both
 * sides, so the page can show each changed node's source diff. Plain data: no I/O.
 */
import type { DagTemplateRecord, NodeTemplate } from "@hamilton-ts/store";

/** What {@link diffTemplates} tells of one node on one side. */
export interface VersionNode {
  readonly name: string;
  /** The node's code version (a hash of its source); `""` for an input. */
  readonly version: string;
  readonly source: string;
  readonly dependencies: readonly string[];
  /** `transform`, `input`, `expand`, `collect`. */
  readonly kind: string;
  readonly documentation: string;
  readonly sourceFile: string | undefined;
  readonly sourceLine: number | undefined;
}

/** What changed of a node present in both versions. */
export type NodeChangeKind = "code" | "dependencies" | "kind" | "documentation";

/** A node present in both versions that changed. */
export interface ChangedNode {
  readonly name: string;
  readonly changes: readonly NodeChangeKind[];
  readonly before: VersionNode;
  readonly after: VersionNode;
}

/** The difference from version `a` to version `b`. */
export interface VersionsDiff {
  readonly dagName: string;
  readonly a: string;
  readonly b: string;
  /** In `b` only, by name. */
  readonly added: readonly VersionNode[];
  /** In `a` only, by name. */
  readonly removed: readonly VersionNode[];
  /** In both and changed, by name. */
  readonly changed: readonly ChangedNode[];
  /** How many nodes are in both and the same. */
  readonly unchanged: number;
}

function side(n: NodeTemplate): VersionNode {
  return {
    name: n.name,
    version: n.version,
    source: n.source,
    dependencies: n.dependencies,
    kind: n.kind,
    documentation: n.documentation,
    sourceFile: n.sourceFile,
    sourceLine: n.sourceLine,
  };
}

const byName = (x: { name: string }, y: { name: string }) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);

/** The node-by-node difference from template `a` to template `b`. */
export function diffTemplates(a: DagTemplateRecord, b: DagTemplateRecord): VersionsDiff {
  const before = new Map(a.nodes.map((n) => [n.name, n]));
  const after = new Map(b.nodes.map((n) => [n.name, n]));
  const added: VersionNode[] = [];
  const removed: VersionNode[] = [];
  const changed: ChangedNode[] = [];
  let unchanged = 0;
  for (const [name, n] of after) if (!before.has(name)) added.push(side(n));
  for (const [name, old] of before) {
    const now = after.get(name);
    if (now === undefined) {
      removed.push(side(old));
      continue;
    }
    const changes: NodeChangeKind[] = [];
    if (old.version !== now.version || old.source !== now.source) changes.push("code");
    if (old.dependencies.join("\0") !== now.dependencies.join("\0")) changes.push("dependencies");
    if (old.kind !== now.kind || old.classification !== now.classification) changes.push("kind");
    if (old.documentation !== now.documentation) changes.push("documentation");
    if (changes.length === 0) unchanged++;
    else changed.push({ name, changes, before: side(old), after: side(now) });
  }
  return {
    dagName: b.dagName,
    a: a.graphVersion,
    b: b.graphVersion,
    added: added.sort(byName),
    removed: removed.sort(byName),
    changed: changed.sort(byName),
    unchanged,
  };
}
