/**
 * ADF → Markdown-ish text, for reading Jira descriptions and comments: keeps
 * paragraphs, headings, lists, task lists, code blocks with their language,
 * quotes and panels, rules, inline code/strong/em/strike, links as
 * `[text](href)`, mentions as `@Name`, smart links as their URL, hard breaks and
 * tables (roughly, as pipe rows). Node types it does not know are rendered
 * through their text children, so nothing a person wrote is silently dropped.
 *
 * @module
 */
import type { AdfMark, AdfNode } from "./adf_types.ts";

/** Inline node types; anything else with content is treated as a block container. */
const INLINE_TYPES = new Set([
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

/** Renders an ADF document (or any ADF node) to Markdown-ish text; `""` for nothing. */
export function adfToText(doc: unknown): string {
  if (typeof doc === "string") return doc;
  if (!isNode(doc)) return "";
  const text = doc.type === "doc" ? renderBlocks(doc.content) : renderBlock(doc);
  return text.replace(/[ \t]+$/gm, "").replace(/\n{3,}/g, "\n\n").trim();
}

function isNode(value: unknown): value is AdfNode {
  return typeof value === "object" && value !== null &&
    typeof (value as { type?: unknown }).type === "string";
}

function children(node: AdfNode): AdfNode[] {
  return Array.isArray(node.content) ? node.content.filter(isNode) : [];
}

function attr(node: AdfNode, name: string): unknown {
  return node.attrs && typeof node.attrs === "object" ? node.attrs[name] : undefined;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : "";
}

function renderBlocks(nodes: AdfNode[] | undefined, separator = "\n\n"): string {
  return (nodes ?? []).filter(isNode).map(renderBlock).filter((b) => b.trim() !== "").join(
    separator,
  );
}

function prefixLines(text: string, first: string, rest: string): string {
  return text.split("\n").map((line, i) => (i === 0 ? first : line === "" ? "" : rest) + line)
    .join("\n");
}

function quote(text: string): string {
  return text.split("\n").map((line) => (line === "" ? ">" : `> ${line}`)).join("\n");
}

function renderBlock(node: AdfNode): string {
  switch (node.type) {
    case "paragraph":
      return renderInline(children(node));
    case "heading": {
      const level = Math.min(6, Math.max(1, Number(attr(node, "level")) || 1));
      return `${"#".repeat(level)} ${renderInline(children(node))}`;
    }
    case "bulletList":
      return children(node).map((item) => renderListItem(item, "- ")).join("\n");
    case "orderedList": {
      const start = Number(attr(node, "order"));
      const first = Number.isInteger(start) && start >= 0 ? start : 1;
      return children(node).map((item, i) => renderListItem(item, `${first + i}. `)).join("\n");
    }
    case "taskList":
      return children(node).map((item) =>
        item.type === "taskItem"
          ? `- [${attr(item, "state") === "DONE" ? "x" : " "}] ${renderInline(children(item))}`
          : prefixLines(renderBlock(item), "  ", "  ")
      ).join("\n");
    case "decisionList":
      return children(node).map((item) => `- ${renderInline(children(item))}`).join("\n");
    case "codeBlock": {
      const language = str(attr(node, "language"));
      const code = children(node).map((c) => c.text ?? "").join("");
      return `\`\`\`${language}\n${code}\n\`\`\``;
    }
    case "blockquote":
      return quote(renderBlocks(node.content));
    case "panel": {
      const kind = str(attr(node, "panelType"));
      const label = kind ? `**${kind[0].toUpperCase()}${kind.slice(1)}:** ` : "";
      return quote(label + renderBlocks(node.content));
    }
    case "rule":
      return "---";
    case "table":
      return renderTable(node);
    case "mediaSingle":
    case "mediaGroup":
      return children(node).map(renderMedia).filter((m) => m !== "").join("\n");
    case "media":
      return renderMedia(node);
    case "expand":
    case "nestedExpand": {
      const title = str(attr(node, "title"));
      return [title ? `**${title}**` : "", renderBlocks(node.content)].filter((p) => p).join(
        "\n\n",
      );
    }
    case "blockCard":
    case "embedCard":
      return cardUrl(node);
    case "extension":
      // An app's macro: its `text` attribute is the fallback Atlassian shows without the app.
      return str(attr(node, "text"));
    default:
      return renderUnknown(node);
  }
}

function renderUnknown(node: AdfNode): string {
  if (INLINE_TYPES.has(node.type)) return renderInline([node]);
  const kids = children(node);
  if (kids.length === 0) return node.text ?? "";
  return kids.every((k) => INLINE_TYPES.has(k.type)) ? renderInline(kids) : renderBlocks(kids);
}

function renderListItem(item: AdfNode, marker: string): string {
  const indent = " ".repeat(marker.length);
  const body = item.type === "listItem" ? renderBlocks(item.content, "\n") : renderBlock(item);
  return prefixLines(body, marker, indent);
}

function renderTable(table: AdfNode): string {
  const rows = children(table).map((row) => {
    const cells = children(row);
    const texts = cells.map((cell) =>
      renderBlocks(cell.content, " ").replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|")
    );
    return { header: cells.length > 0 && cells.every((c) => c.type === "tableHeader"), texts };
  });
  const lines: string[] = [];
  rows.forEach((row, i) => {
    lines.push(`| ${row.texts.join(" | ")} |`);
    if (i === 0 && row.header) lines.push(`| ${row.texts.map(() => "---").join(" | ")} |`);
  });
  return lines.join("\n");
}

function renderMedia(node: AdfNode): string {
  if (node.type !== "media") return renderBlock(node);
  const alt = str(attr(node, "alt"));
  const url = str(attr(node, "url"));
  if (attr(node, "type") === "external" && url) return `![${alt}](${url})`;
  return `[attachment: ${alt || str(attr(node, "id")) || "file"}]`;
}

function cardUrl(node: AdfNode): string {
  const url = attr(node, "url");
  if (typeof url === "string") return url;
  const data = attr(node, "data") as { url?: unknown; name?: unknown } | undefined;
  return str(data?.url) || str(data?.name);
}

function renderInline(nodes: AdfNode[]): string {
  let out = "";
  for (const node of mergeTexts(nodes)) out += renderInlineNode(node);
  return out;
}

function renderInlineNode(node: AdfNode): string {
  switch (node.type) {
    case "text":
      return applyMarks(node.text ?? "", node.marks ?? []);
    case "hardBreak":
      return "\n";
    case "mention": {
      const text = str(attr(node, "text"));
      if (text) return text.startsWith("@") ? text : `@${text}`;
      return `@${str(attr(node, "id")) || "unknown"}`;
    }
    case "emoji":
      return str(attr(node, "text")) || str(attr(node, "shortName"));
    case "inlineCard":
      return cardUrl(node);
    case "date": {
      const ms = Number(attr(node, "timestamp"));
      return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : "";
    }
    case "status":
      return `[${str(attr(node, "text"))}]`;
    case "mediaInline":
      return `[attachment: ${str(attr(node, "alt")) || str(attr(node, "id")) || "file"}]`;
    case "placeholder":
      return "";
    case "inlineExtension":
      return str(attr(node, "text"));
    default: {
      const kids = children(node);
      return kids.length ? renderInline(kids) : node.text ?? "";
    }
  }
}

function marksKey(marks: AdfMark[] | undefined): string {
  return JSON.stringify(marks ?? []);
}

/** Joins neighbouring text nodes with the same marks, so `**a****b**` reads `**ab**`. */
function mergeTexts(nodes: AdfNode[]): AdfNode[] {
  const out: AdfNode[] = [];
  for (const node of nodes) {
    const last = out[out.length - 1];
    if (
      node.type === "text" && last?.type === "text" && marksKey(last.marks) === marksKey(node.marks)
    ) {
      out[out.length - 1] = { ...last, text: (last.text ?? "") + (node.text ?? "") };
    } else out.push(node);
  }
  return out;
}

/** Wraps text in a delimiter, keeping edge whitespace outside (`** a **` is not bold). */
function wrap(text: string, delimiter: string): string {
  const m = /^(\s*)([\s\S]*?)(\s*)$/.exec(text)!;
  return m[2] === "" ? text : `${m[1]}${delimiter}${m[2]}${delimiter}${m[3]}`;
}

function applyMarks(text: string, marks: AdfMark[]): string {
  const has = (type: string) => marks.some((m) => m?.type === type);
  let out = text;
  if (has("code")) {
    const fence = out.includes("`") ? "``" : "`";
    const pad = out.startsWith("`") || out.endsWith("`") ? " " : "";
    out = `${fence}${pad}${out}${pad}${fence}`;
  }
  if (has("em")) out = wrap(out, "*");
  if (has("strong")) out = wrap(out, "**");
  if (has("strike")) out = wrap(out, "~~");
  const link = marks.find((m) => m?.type === "link");
  const href = link ? str(link.attrs?.href) : "";
  if (href) out = out === href ? href : `[${out}](${href})`;
  return out;
}
