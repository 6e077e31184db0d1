/**
 * Building DOM without HTML strings: every text goes in as a text node (`append` of a string), so
 * values from running code (node names, results, errors, LLM answers) can never become markup.
 */

/** A child: a node, a text, or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** Properties {@link h} sets. */
export interface Props {
  readonly class?: string;
  readonly href?: string;
  readonly title?: string;
  readonly id?: string;
  readonly data?: Readonly<Record<string, string>>;
  readonly onClick?: (event: MouseEvent) => void;
}

/** Creates an element with properties and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props !== null) {
    if (props.class !== undefined) el.className = props.class;
    if (props.href !== undefined && el instanceof HTMLAnchorElement) el.href = props.href;
    if (props.title !== undefined) el.title = props.title;
    if (props.id !== undefined) el.id = props.id;
    if (props.data !== undefined) for (const [k, v] of Object.entries(props.data)) el.dataset[k] = v;
    if (props.onClick !== undefined) el.addEventListener("click", props.onClick as EventListener);
  }
  append(el, children);
  return el;
}

/** Appends children to a parent; strings and numbers as text. */
export function append(parent: Node & ParentNode, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.append(typeof c === "number" ? String(c) : c);
  }
}

const SVG = "http://www.w3.org/2000/svg";

/** Creates an SVG element with attributes (never `style`: the CSP refuses inline styles). */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Readonly<Record<string, string | number>> = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

/** Removes every child and appends new ones. */
export function replace(parent: Node & ParentNode, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}
