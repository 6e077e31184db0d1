import type { Attributes, Span } from "@opentelemetry/api";
import type { CacheMissReason, GraphExecutionEvent, NodeExecutionEvent, NodeInfo } from "@hamilton-ts/lifecycle";
import {
  ATTR_CODE_FUNCTION_NAME,
  ATTR_NODE_CACHE_FROM_RUN,
  ATTR_NODE_CACHE_KEY,
  ATTR_NODE_CACHE_MISS_DETAIL,
  ATTR_NODE_CACHE_MISS_REASON,
  ATTR_EXECUTION_PATH,
  ATTR_FINAL_VARS,
  ATTR_GRAPH_VERSION,
  ATTR_INPUTS,
  ATTR_NODE_DEPENDENCIES,
  ATTR_NODE_NAME,
  ATTR_NODE_TAGS_PREFIX,
  ATTR_NODE_VERSION,
  ATTR_OVERRIDES,
  ATTR_RUN_ID,
  ATTR_TRACELOOP_ENTITY_NAME,
  ATTR_TRACELOOP_SPAN_KIND,
  ATTR_TRACELOOP_WORKFLOW_NAME,
} from "./attribute-names.js";

/** The attributes of a node span that do not change from run to run. */
export function nodeSpanAttributes(node: NodeInfo, workflowName: string): Attributes {
  const attributes: Attributes = {
    [ATTR_NODE_NAME]: node.name,
    [ATTR_NODE_VERSION]: node.version,
    [ATTR_NODE_DEPENDENCIES]: [...node.dependencies],
    [ATTR_CODE_FUNCTION_NAME]: node.functionName || node.name,
    [ATTR_TRACELOOP_SPAN_KIND]: "task",
    [ATTR_TRACELOOP_ENTITY_NAME]: node.name,
    [ATTR_TRACELOOP_WORKFLOW_NAME]: workflowName,
  };
  for (const [tag, value] of Object.entries(node.tags)) {
    attributes[ATTR_NODE_TAGS_PREFIX + tag] = typeof value === "string" ? value : [...value];
  }
  return attributes;
}

/**
 * Node span attributes, computed on a node's first run and kept as long as its graph lives, so
 * a node run costs one WeakMap lookup instead of rebuilding them (the versions are read once).
 */
export class NodeSpanAttributesCache {
  readonly #cache = new WeakMap<NodeInfo, Attributes>();
  readonly #workflowName: string;

  constructor(workflowName: string) {
    this.#workflowName = workflowName;
  }

  get(node: NodeInfo): Attributes {
    let attributes = this.#cache.get(node);
    if (attributes === undefined) {
      attributes = nodeSpanAttributes(node, this.#workflowName);
      this.#cache.set(node, attributes);
    }
    return attributes;
  }
}

/** The attributes of a run span: identifiers and names, never input values. */
export function runSpanAttributes(event: GraphExecutionEvent): Attributes {
  return {
    [ATTR_RUN_ID]: event.runId,
    [ATTR_GRAPH_VERSION]: event.graph.version,
    [ATTR_FINAL_VARS]: [...event.finalVars],
    [ATTR_INPUTS]: Object.keys(event.inputs),
    [ATTR_OVERRIDES]: Object.keys(event.overrides),
    [ATTR_EXECUTION_PATH]: [...event.executionPath],
  };
}

/** The Traceloop attributes of a run span, which make it the workflow of the node tasks. */
export function workflowSpanAttributes(workflowName: string): Attributes {
  return {
    [ATTR_TRACELOOP_SPAN_KIND]: "workflow",
    [ATTR_TRACELOOP_ENTITY_NAME]: workflowName,
    [ATTR_TRACELOOP_WORKFLOW_NAME]: workflowName,
  };
}

/**
 * Sets what the engine's cache knew about a node run beside its outcome: the key, the run a hit
 * replayed, and a miss's reason (its kind, and what it names as the detail). Only what is known.
 */
export function setCacheDetails(span: Span, event: NodeExecutionEvent): void {
  const { cacheKey, cacheFromRun, cacheMissReason } = event;
  if (cacheKey !== undefined) span.setAttribute(ATTR_NODE_CACHE_KEY, cacheKey);
  if (cacheFromRun !== undefined) span.setAttribute(ATTR_NODE_CACHE_FROM_RUN, cacheFromRun);
  if (cacheMissReason === undefined) return;
  span.setAttribute(ATTR_NODE_CACHE_MISS_REASON, cacheMissReason.kind);
  const detail = missDetail(cacheMissReason);
  if (detail !== undefined) span.setAttribute(ATTR_NODE_CACHE_MISS_DETAIL, detail);
}

function missDetail(reason: CacheMissReason): string | undefined {
  switch (reason.kind) {
    case "code":
      return `${reason.from} -> ${reason.to}`;
    case "dependency":
      return reason.name;
    case "unkeyed":
      return reason.detail;
    default:
      return undefined;
  }
}
