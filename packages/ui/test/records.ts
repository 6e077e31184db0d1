/**
 * Record factories for tests that write a store with `FileSink`: the tracker's (one set for both
 * packages' tests), and a template of its first node only (`a`), which the page tests draw.
 */
import type { DagTemplateRecord } from "@hamilton-ts/tracker";
import { templateRecord as trackerTemplate } from "../../tracker/test/records.js";

export { nodeRecord, runRecord } from "../../tracker/test/records.js";

export function templateRecord(graphVersion = "v1", dagName = "dag"): DagTemplateRecord {
  const template = trackerTemplate({ graphVersion, dagName });
  return { ...template, nodes: template.nodes.slice(0, 1) };
}
