/**
 * The ADF content model, as far as the runner needs it: which node types are
 * inline and which are blocks, which children each container accepts, which
 * containers may not be empty, which marks exist. Taken from Atlassian's ADF
 * JSON schema (`@atlaskit/adf-schema`, `dist/json-schema/v1/full.json`), shared
 * by the validator and by the Markdown → ADF post-pass.
 *
 * @module
 */

/** Inline node types (children of paragraphs, headings, task items). */
export const INLINE_TYPES: ReadonlySet<string> = new Set([
  "text",
  "hardBreak",
  "mention",
  "emoji",
  "inlineCard",
  "date",
  "status",
  "mediaInline",
  "placeholder",
  "inlineExtension",
]);

/** Block node types allowed at the document root. */
const ROOT_BLOCKS = [
  "paragraph",
  "heading",
  "bulletList",
  "orderedList",
  "taskList",
  "decisionList",
  "codeBlock",
  "blockquote",
  "rule",
  "panel",
  "table",
  "mediaSingle",
  "mediaGroup",
  "expand",
  "blockCard",
  "embedCard",
  "extension",
  "bodiedExtension",
  "layoutSection",
];

/** Every block node type. */
export const BLOCK_TYPES: ReadonlySet<string> = new Set([...ROOT_BLOCKS, "nestedExpand"]);

const QUOTE_CHILDREN = [
  "paragraph",
  "bulletList",
  "orderedList",
  "codeBlock",
  "mediaSingle",
  "mediaGroup",
  "extension",
];
const LIST_ITEM_CHILDREN = [
  "paragraph",
  "bulletList",
  "orderedList",
  "taskList",
  "codeBlock",
  "mediaSingle",
  "extension",
];
const PANEL_CHILDREN = [
  "paragraph",
  "heading",
  "bulletList",
  "orderedList",
  "taskList",
  "decisionList",
  "codeBlock",
  "rule",
  "mediaSingle",
  "mediaGroup",
  "blockCard",
  "extension",
];
const NESTED_EXPAND_CHILDREN = [...PANEL_CHILDREN, "blockquote", "panel"];
const CELL_CHILDREN = [...NESTED_EXPAND_CHILDREN, "nestedExpand", "embedCard"];
const INLINE_LIST = [...INLINE_TYPES];

/** For each container type, the child types it accepts. */
export const CHILD_TYPES: Readonly<Record<string, ReadonlySet<string>>> = Object.fromEntries(
  Object.entries({
    doc: ROOT_BLOCKS,
    paragraph: INLINE_LIST,
    heading: INLINE_LIST,
    codeBlock: ["text"],
    bulletList: ["listItem"],
    orderedList: ["listItem"],
    listItem: LIST_ITEM_CHILDREN,
    taskList: ["taskItem", "taskList"],
    taskItem: INLINE_LIST,
    decisionList: ["decisionItem"],
    decisionItem: INLINE_LIST,
    blockquote: QUOTE_CHILDREN,
    panel: PANEL_CHILDREN,
    table: ["tableRow"],
    tableRow: ["tableCell", "tableHeader"],
    tableCell: CELL_CHILDREN,
    tableHeader: CELL_CHILDREN,
    mediaSingle: ["media", "caption"],
    mediaGroup: ["media"],
    caption: INLINE_LIST,
    expand: [...ROOT_BLOCKS.filter((t) => t !== "expand" && t !== "layoutSection"), "nestedExpand"],
    nestedExpand: NESTED_EXPAND_CHILDREN,
    bodiedExtension: ROOT_BLOCKS.filter((t) => t !== "bodiedExtension"),
    layoutSection: ["layoutColumn"],
    layoutColumn: ROOT_BLOCKS.filter((t) => t !== "layoutSection"),
  }).map(([k, v]) => [k, new Set(v)]),
);

/** Containers whose `content` must hold at least one node. */
export const NON_EMPTY_TYPES: ReadonlySet<string> = new Set([
  "bulletList",
  "orderedList",
  "listItem",
  "taskList",
  "decisionList",
  "blockquote",
  "panel",
  "table",
  "tableCell",
  "tableHeader",
  "expand",
  "mediaGroup",
  "bodiedExtension",
  "layoutColumn",
]);

/** Every node type the model knows. */
export const KNOWN_TYPES: ReadonlySet<string> = new Set([
  ...INLINE_TYPES,
  ...BLOCK_TYPES,
  ...Object.keys(CHILD_TYPES),
  "media",
]);

/** Mark types. */
export const MARK_TYPES: ReadonlySet<string> = new Set([
  "strong",
  "em",
  "code",
  "strike",
  "underline",
  "link",
  "subsup",
  "textColor",
  "backgroundColor",
  "annotation",
]);

/** The marks that may accompany `code` on a text node. */
export const CODE_COMPATIBLE_MARKS: ReadonlySet<string> = new Set(["code", "link", "annotation"]);

/** True when a `parent` node may hold a `child` node (unknown parents accept anything). */
export function acceptsChild(parent: string, child: string): boolean {
  const allowed = CHILD_TYPES[parent];
  return allowed === undefined || allowed.has(child);
}
