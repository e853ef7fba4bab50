/**
 * The shapes of Atlassian Document Format (ADF), the JSON rich-text format of
 * Jira Cloud REST v3 bodies (descriptions, comments). Loose on purpose: readers
 * must tolerate node types they do not know.
 *
 * @module
 */

/** A mark on a text node: `strong`, `em`, `code`, `strike`, `underline`, `link{href}`, … */
export interface AdfMark {
  type: string;
  attrs?: Record<string, unknown>;
}

/** Any ADF node: block (paragraph, list, …) or inline (text, mention, …). */
export interface AdfNode {
  type: string;
  attrs?: Record<string, unknown>;
  content?: AdfNode[];
  marks?: AdfMark[];
  /** Only on `text` nodes, never empty there. */
  text?: string;
}

/** The root of an ADF document. */
export interface AdfDoc extends AdfNode {
  type: "doc";
  version: 1;
  content: AdfNode[];
}

/** True when `value` looks like an ADF document root (`type: "doc"`, `version: 1`). */
export function isAdfDoc(value: unknown): value is AdfDoc {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.type === "doc" && v.version === 1 && Array.isArray(v.content);
}
