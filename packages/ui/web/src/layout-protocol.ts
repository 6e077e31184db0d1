/** The messages between the page and its layout worker. */

/** A graph to lay out: node boxes and edges. */
export interface LayoutRequest {
  readonly nodes: readonly { readonly id: string; readonly width: number; readonly height: number }[];
  readonly edges: readonly (readonly [string, string])[];
}

/** Where dagre put each node (its centre) and each edge's points. */
export interface LayoutResult {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly { readonly id: string; readonly x: number; readonly y: number }[];
  readonly edges: readonly {
    readonly from: string;
    readonly to: string;
    readonly points: readonly { x: number; y: number }[];
  }[];
  /** Time dagre took, in ms. */
  readonly ms: number;
}
