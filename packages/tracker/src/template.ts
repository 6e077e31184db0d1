import { createHash } from "node:crypto";
import type { GraphInfo, NodeInfo } from "@hamilton-ts/lifecycle";
import type { DagTemplateRecord, NodeTemplate } from "./records.js";
import { redactHead, summarizeRecord, type SummaryLimits } from "./summarize.js";

/** Characters of a node's source kept in the template. */
export const MAX_SOURCE_LENGTH = 50_000;

/** The nodes in name order; already in it (as a graph lists them), the same array. */
function byName(nodes: readonly NodeInfo[]): readonly NodeInfo[] {
  for (let i = 1; i < nodes.length; i++) {
    if (nodes[i - 1]!.name > nodes[i]!.name)
      return [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  return nodes;
}

/**
 * SHA-256 of the graph's structure: every node's name, kind and sorted dependencies, nodes sorted
 * by name (the shape of Hamilton's `dag_hash`). It does not change when only code changes.
 */
export function dagHash(nodes: readonly NodeInfo[]): string {
  const hash = createHash("sha256");
  for (const node of byName(nodes)) {
    hash.update(
      JSON.stringify([
        node.name,
        node.kind,
        node.isExternalInput,
        [...node.dependencies].sort(),
        [...node.optionalDependencies].sort(),
      ]),
    );
    hash.update("\n");
  }
  return hash.digest("hex");
}

/** SHA-256 of the nodes' own sources, nodes sorted by name (Hamilton's `code_hash`, per function). */
export function codeHash(nodes: readonly NodeInfo[]): string {
  const hash = createHash("sha256");
  for (const node of byName(nodes)) {
    hash.update(node.name);
    hash.update("\0");
    hash.update(node.source);
    hash.update("\0");
  }
  return hash.digest("hex");
}

function nodeTemplate(node: NodeInfo): NodeTemplate {
  const head = redactHead(node.source, MAX_SOURCE_LENGTH);
  const source = head.truncated ? `${head.text}\n/* … truncated */` : head.text;
  return {
    name: node.name,
    functionName: node.functionName,
    dependencies: [...node.dependencies],
    optionalDependencies: [...node.optionalDependencies],
    tags: { ...node.tags },
    documentation: node.documentation,
    // Only the function's own text (never its file), with secret-looking literals redacted: the
    // original (TypeScript with its comments) when the engine found it through a source map.
    source,
    classification: node.isExternalInput ? "input" : "transform",
    kind: node.kind,
    version: node.version,
    ...sourcePlace(node),
  };
}

/** Where a function node's source is: file, 1-based line, and whether it is the original text. */
function sourcePlace(node: NodeInfo): Pick<NodeTemplate, "sourceFile" | "sourceLine" | "sourceMapped"> {
  if (node.isExternalInput) return {};
  const place: { sourceFile?: string; sourceLine?: number; sourceMapped?: boolean } = {};
  if (typeof node.sourceFile === "string") place.sourceFile = node.sourceFile;
  if (typeof node.sourceLine === "number") place.sourceLine = node.sourceLine;
  if (typeof node.sourceMapped === "boolean") place.sourceMapped = node.sourceMapped;
  return place;
}

/** Builds the DAG template record of a graph. */
export function buildTemplate(
  graph: GraphInfo,
  dagName: string,
  tags: Readonly<Record<string, string>>,
  limits: SummaryLimits,
): DagTemplateRecord {
  const nodes = byName(graph.nodes);
  return {
    type: "dag_template",
    graphVersion: graph.version,
    dagName,
    dagHash: dagHash(nodes),
    codeHash: codeHash(nodes),
    createdAt: Date.now(),
    config: summarizeRecord(graph.config, limits),
    tags: { ...tags },
    nodes: nodes.map(nodeTemplate),
  };
}
