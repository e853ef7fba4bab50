/**
 * A structural check of ADF documents against the rules of Atlassian's ADF
 * JSON schema that matter for what the runner writes (and that Jira enforces
 * with a 400). Used before posting a comment, and by the fake Jira to reject
 * what real Jira would reject. Not the whole schema: tests also check outbound
 * documents against `@atlaskit/adf-schema`'s `full.json`.
 *
 * Rules: the root is `{type: "doc", version: 1, content: [blocks]}`; every node
 * has a known `type` and sits in a container that accepts it (see
 * `adf_rules.ts`); `text` is a non-empty string; marks are known, links have an
 * `href`, and `code` combines only with `link`/`annotation`; code blocks hold
 * unmarked text only; headings have a level 1–6; lists, list items, quotes,
 * panels, tables and cells are not empty; mentions have an `id`.
 *
 * @module
 */
import {
  acceptsChild,
  CODE_COMPATIBLE_MARKS,
  INLINE_TYPES,
  KNOWN_TYPES,
  MARK_TYPES,
  NON_EMPTY_TYPES,
} from "./adf_rules.ts";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The problems of an ADF document, each with its JSON path; empty when it is valid. */
export function validateAdf(doc: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(doc)) return ["(root): not an object"];
  if (doc.type !== "doc") {
    problems.push(`(root): type must be "doc", got ${JSON.stringify(doc.type)}`);
  }
  if (doc.version !== 1) problems.push("(root): version must be 1");
  if (!Array.isArray(doc.content)) problems.push("(root): content must be an array");
  else checkChildren(doc, "doc", "content", problems);
  return problems;
}

function checkChildren(node: Json, type: string, path: string, problems: string[]): void {
  const content = node.content;
  if (content === undefined) {
    if (NON_EMPTY_TYPES.has(type)) problems.push(`${path}: ${type} needs content`);
    return;
  }
  if (!Array.isArray(content)) {
    problems.push(`${path}: content must be an array`);
    return;
  }
  if (content.length === 0 && NON_EMPTY_TYPES.has(type)) {
    problems.push(`${path}: ${type} is empty`);
  }
  content.forEach((child, i) => {
    const childPath = `${path}[${i}]`;
    if (!isObject(child) || typeof child.type !== "string") {
      problems.push(`${childPath}: not a node`);
      return;
    }
    if (KNOWN_TYPES.has(child.type) && !acceptsChild(type, child.type)) {
      problems.push(`${childPath}: ${child.type} is not allowed inside ${type}`);
    }
    checkNode(child, type, childPath, problems);
  });
}

function checkNode(node: Json, parentType: string, path: string, problems: string[]): void {
  const type = node.type as string;
  if (!KNOWN_TYPES.has(type)) {
    problems.push(`${path}: unknown node type ${JSON.stringify(type)}`);
    return;
  }
  if (type === "text") {
    checkText(node, parentType, path, problems);
    return;
  }
  if (node.marks !== undefined && !Array.isArray(node.marks)) {
    problems.push(`${path}: marks must be an array`);
  }
  const attrs = isObject(node.attrs) ? node.attrs : {};
  if (type === "heading") {
    const level = attrs.level;
    if (typeof level !== "number" || !Number.isInteger(level) || level < 1 || level > 6) {
      problems.push(`${path}: heading level must be 1–6`);
    }
  }
  if (type === "mention" && typeof attrs.id !== "string") {
    problems.push(`${path}: mention needs attrs.id`);
  }
  if (type === "codeBlock" && Array.isArray(node.marks) && node.marks.length > 0) {
    problems.push(`${path}: codeBlock takes no marks`);
  }
  if (INLINE_TYPES.has(type) && node.content !== undefined) {
    problems.push(`${path}: ${type} takes no content`);
  }
  checkChildren(node, type, `${path}.content`, problems);
}

function checkText(node: Json, parentType: string, path: string, problems: string[]): void {
  if (typeof node.text !== "string" || node.text.length === 0) {
    problems.push(`${path}: text must be a non-empty string`);
  }
  if (node.content !== undefined) problems.push(`${path}: text takes no content`);
  if (node.marks === undefined) return;
  if (!Array.isArray(node.marks)) {
    problems.push(`${path}: marks must be an array`);
    return;
  }
  if (parentType === "codeBlock" && node.marks.length > 0) {
    problems.push(`${path}: text inside codeBlock takes no marks`);
  }
  const types: string[] = [];
  node.marks.forEach((mark, i) => {
    if (!isObject(mark) || typeof mark.type !== "string" || !MARK_TYPES.has(mark.type)) {
      problems.push(`${path}.marks[${i}]: unknown mark`);
      return;
    }
    types.push(mark.type);
    if (mark.type === "link" && !(isObject(mark.attrs) && typeof mark.attrs.href === "string")) {
      problems.push(`${path}.marks[${i}]: link needs attrs.href`);
    }
  });
  if (types.includes("code") && types.some((t) => !CODE_COMPATIBLE_MARKS.has(t))) {
    problems.push(`${path}: code mark combines only with link and annotation`);
  }
  if (new Set(types).size !== types.length) problems.push(`${path}: duplicate marks`);
}
