/**
 * The graph's view: which part of the laid-out DAG the canvas shows (an SVG `viewBox`), and how
 * zooming (about a point), panning, fitting and bringing a node into view change it. No DOM:
 * `graph.ts` applies it, `zoom.test.ts` runs it under Node.
 */

/** A rectangle of the drawing, in layout units. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The canvas's size in CSS pixels. */
export interface Viewport {
  readonly width: number;
  readonly height: number;
}

/** The smallest and largest scale (CSS pixels per layout unit). */
export const MIN_SCALE = 0.02;
export const MAX_SCALE = 8;
/** Space kept around the drawing when it is fitted, in CSS pixels. */
const FIT_PADDING = 12;

/** Pixels per layout unit of a view on a viewport. */
export function scaleOf(view: Box, viewport: Viewport): number {
  return viewport.width / view.width;
}

function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

/**
 * The view that shows the whole drawing (`content`) centred in the viewport, never enlarged past
 * its natural size (scale 1): a small DAG is drawn at its size, a large one shrunk to fit.
 */
export function fitView(content: Box, viewport: Viewport): Box {
  const scale = clampScale(
    Math.min(
      1,
      (viewport.width - 2 * FIT_PADDING) / Math.max(1, content.width),
      (viewport.height - 2 * FIT_PADDING) / Math.max(1, content.height),
    ),
  );
  const width = viewport.width / scale;
  const height = viewport.height / scale;
  return {
    x: content.x + content.width / 2 - width / 2,
    y: content.y + content.height / 2 - height / 2,
    width,
    height,
  };
}

/**
 * Zooms by `factor` (above 1: closer) about a point of the viewport given as fractions of its
 * width and height (`0.5, 0.5`: the centre), which stays where it is; the scale stays within
 * {@link MIN_SCALE}…{@link MAX_SCALE}.
 */
export function zoomAt(view: Box, viewport: Viewport, factor: number, fx = 0.5, fy = 0.5): Box {
  const scale = clampScale(scaleOf(view, viewport) * factor);
  const width = viewport.width / scale;
  const height = viewport.height / scale;
  return { x: view.x + fx * (view.width - width), y: view.y + fy * (view.height - height), width, height };
}

/** Moves the view with a drag of `dx`, `dy` CSS pixels (the drawing follows the pointer). */
export function panBy(view: Box, viewport: Viewport, dx: number, dy: number): Box {
  const scale = scaleOf(view, viewport);
  return { ...view, x: view.x - dx / scale, y: view.y - dy / scale };
}

/** The view unchanged when `box` is wholly inside it, else moved (not zoomed) to centre `box`. */
export function bringIntoView(view: Box, box: Box): Box {
  const inside =
    box.x >= view.x &&
    box.y >= view.y &&
    box.x + box.width <= view.x + view.width &&
    box.y + box.height <= view.y + view.height;
  if (inside) return view;
  return {
    ...view,
    x: box.x + box.width / 2 - view.width / 2,
    y: box.y + box.height / 2 - view.height / 2,
  };
}

/** A view as an SVG `viewBox` attribute. */
export function viewBoxOf(view: Box): string {
  return `${view.x.toFixed(1)} ${view.y.toFixed(1)} ${view.width.toFixed(1)} ${view.height.toFixed(1)}`;
}
