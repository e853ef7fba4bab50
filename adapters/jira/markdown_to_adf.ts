/**
 * Markdown → ADF, for writing Jira comments. `marklassian` does the conversion;
 * a post-pass then makes the result valid ADF whatever the input was:
 * - no empty text nodes; no marks inside code blocks; `code` combined only with
 *   `link` (and `annotation`);
 * - a node its container does not accept (a heading or rule in a quote or list
 *   item, a quote or table in a list item, a task list inside a task item) is
 *   turned into what the container accepts: headings become bold paragraphs,
 *   quotes are unwrapped, table rows become `a | b` paragraphs, nested task
 *   lists are lifted beside their item, rules are dropped;
 * - no empty lists, quotes or tables; empty list items and cells get an empty
 *   paragraph; a list item does not start with a nested list;
 * - external images become links (Jira does not show external media anyway);
 * - the root is `{type: "doc", version: 1, content: […]}`; Markdown that renders
 *   to nothing gives one empty paragraph.
 *
 * HTML (including `<!-- comments -->`) is dropped by the converter: anything
 * that must survive, such as a run marker, has to be visible text.
 *
 * @module
 */
import { markdownToAdf as convert } from "marklassian";
import type { AdfDoc, AdfMark, AdfNode } from "./adf_types.ts";
import { acceptsChild, CHILD_TYPES, CODE_COMPATIBLE_MARKS, INLINE_TYPES } from "./adf_rules.ts";

/** Converts Markdown to a valid ADF document. */
export function markdownToAdf(markdown: string): AdfDoc {
  const raw = convert(markdown ?? "") as unknown as { content?: unknown };
  const content = normalizeChildren(raw.content, "doc");
  return {
    type: "doc",
    version: 1,
    content: content.length > 0 ? content : [emptyParagraph()],
  };
}

const LISTS = new Set(["bulletList", "orderedList", "taskList"]);

function emptyParagraph(): AdfNode {
  return { type: "paragraph", content: [] };
}

function isNode(value: unknown): value is AdfNode {
  return typeof value === "object" && value !== null &&
    typeof (value as { type?: unknown }).type === "string";
}

function isInlineContainer(type: string): boolean {
  const allowed = CHILD_TYPES[type];
  return allowed !== undefined && [...allowed].every((t) => INLINE_TYPES.has(t));
}

/** Normalizes raw children and fits each into what `parentType` accepts. */
function normalizeChildren(nodes: unknown, parentType: string): AdfNode[] {
  const out: AdfNode[] = [];
  for (const raw of Array.isArray(nodes) ? nodes : []) {
    if (!isNode(raw)) continue;
    for (const node of normalizeNode(raw, parentType)) out.push(...fit(node, parentType, 0));
  }
  return out;
}

function normalizeNode(node: AdfNode, parentType: string): AdfNode[] {
  if (node.type === "text") return normalizeText(node, parentType);
  if (node.type === "mediaSingle") return imageAsLink(node);
  const rawContent = node.type === "taskList" ? liftNestedTaskLists(node.content) : node.content;
  const result: AdfNode = { ...node };
  if (Array.isArray(rawContent)) result.content = normalizeChildren(rawContent, node.type);
  const content = result.content ?? [];
  switch (node.type) {
    case "bulletList":
    case "orderedList":
    case "taskList":
    case "decisionList":
    case "blockquote":
    case "panel":
    case "table":
    case "tableRow":
    case "expand":
    case "mediaGroup":
      return content.length > 0 ? [result] : [];
    case "listItem":
      if (content.length === 0 || LISTS.has(content[0].type)) {
        result.content = [emptyParagraph(), ...content];
      }
      return [result];
    case "tableCell":
    case "tableHeader":
      if (content.length === 0) result.content = [emptyParagraph()];
      return [result];
    default:
      return [result];
  }
}

function normalizeText(node: AdfNode, parentType: string): AdfNode[] {
  if (typeof node.text !== "string" || node.text.length === 0) return [];
  const marks = cleanMarks(node.marks, parentType);
  return [
    marks.length > 0 ? { type: "text", text: node.text, marks } : {
      type: "text",
      text: node.text,
    },
  ];
}

function cleanMarks(marks: AdfMark[] | undefined, parentType: string): AdfMark[] {
  if (parentType === "codeBlock" || !Array.isArray(marks)) return [];
  const seen = new Set<string>();
  const valid = marks.filter((m) => {
    if (typeof m?.type !== "string" || seen.has(m.type)) return false;
    seen.add(m.type);
    return m.type !== "link" || typeof m.attrs?.href === "string";
  });
  return valid.some((m) => m.type === "code")
    ? valid.filter((m) => CODE_COMPATIBLE_MARKS.has(m.type))
    : valid;
}

/** An external image becomes a paragraph with a link to it. */
function imageAsLink(node: AdfNode): AdfNode[] {
  const media = node.content?.find((c) => c?.type === "media");
  const url = media?.attrs?.url;
  if (typeof url !== "string" || url === "") return [];
  const alt = media?.attrs?.alt;
  const text = typeof alt === "string" && alt !== "" ? alt : url;
  return [{
    type: "paragraph",
    content: [{ type: "text", text, marks: [{ type: "link", attrs: { href: url } }] }],
  }];
}

/** A task item may hold only inline nodes: nested task lists move beside it. */
function liftNestedTaskLists(content: unknown): unknown[] {
  const out: unknown[] = [];
  for (const item of Array.isArray(content) ? content : []) {
    if (!isNode(item) || item.type !== "taskItem" || !Array.isArray(item.content)) {
      out.push(item);
      continue;
    }
    const nested = item.content.filter((c) => isNode(c) && c.type === "taskList");
    out.push({ ...item, content: item.content.filter((c) => !nested.includes(c)) }, ...nested);
  }
  return out;
}

/** The node itself when `parentType` accepts it, else what it can be turned into. */
function fit(node: AdfNode, parentType: string, depth: number): AdfNode[] {
  if (acceptsChild(parentType, node.type)) return [node];
  if (depth > 8) return [];
  return demote(node, parentType).flatMap((n) => fit(n, parentType, depth + 1));
}

function demote(node: AdfNode, parentType: string): AdfNode[] {
  if (isInlineContainer(parentType)) return toInline(node);
  if (parentType === "bulletList" || parentType === "orderedList") {
    return [{ type: "listItem", content: fit(node, "listItem", 0) }];
  }
  if (parentType === "taskList") {
    return [{
      type: "taskItem",
      attrs: { localId: crypto.randomUUID(), state: "TODO" },
      content: toInline(node),
    }];
  }
  if (INLINE_TYPES.has(node.type)) return [{ type: "paragraph", content: [node] }];
  switch (node.type) {
    case "heading":
      return [{ type: "paragraph", content: withStrong(node.content ?? []) }];
    case "table":
      return (node.content ?? []).map((row) => ({ type: "paragraph", content: rowInline(row) }));
    case "rule":
    case "mediaGroup":
    case "tableRow":
      return [];
    default:
      return node.content ?? [];
  }
}

/** The inline content of any node: blocks are joined with hard breaks. */
function toInline(node: AdfNode): AdfNode[] {
  if (INLINE_TYPES.has(node.type)) return [node];
  const parts = (node.content ?? []).map(toInline).filter((p) => p.length > 0);
  const joined = parts.flatMap((p, i) => (i === 0 ? p : [{ type: "hardBreak" }, ...p]));
  return node.type === "heading" ? withStrong(joined) : joined;
}

function rowInline(row: AdfNode): AdfNode[] {
  const cells = (row.content ?? []).map(toInline);
  return cells.flatMap((c, i) => (i === 0 ? c : [{ type: "text", text: " | " }, ...c]));
}

function withStrong(nodes: AdfNode[]): AdfNode[] {
  return nodes.map((n) => {
    if (n.type !== "text" || n.marks?.some((m) => m.type === "code" || m.type === "strong")) {
      return n;
    }
    return { ...n, marks: [...(n.marks ?? []), { type: "strong" }] };
  });
}
