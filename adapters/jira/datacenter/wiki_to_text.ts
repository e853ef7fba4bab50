/**
 * Jira wiki markup → Markdown-ish text, for reading Data Center / Server
 * descriptions and comments into the prompt (the same kind of text the Cloud
 * adapter renders from ADF): headings as `#`, lists as `-`/`1.` with nesting,
 * `{code:lang}` and `{noformat}` as fenced blocks, `{quote}`/`bq.` and panels
 * (`{panel}`, `{info}`, `{note}`, `{warning}`, `{tip}`) as `>` quotes, tables
 * as pipe rows, `*bold*` as `**bold**`, `_it_` as `*it*`, `-strike-` as
 * `~~strike~~`, `{{mono}}` as `` `mono` ``, `[text|url]` as `[text](url)`,
 * `[~user]` as `@user`, `!image.png!` as `[image: image.png]`, `\\` as a line
 * break, `\X` as `X`. Unknown macros keep their text, so nothing a person
 * wrote is silently dropped.
 *
 * @module
 */

const CODE_OPEN = /^\s*\{(code|noformat)((?::[^}]*)?)\}(.*)$/;
const QUOTE_TAG = /\{quote\}/;
const PANEL_OPEN = /^\s*\{(panel|info|note|warning|tip)((?::[^}]*)?)\}(.*)$/;
const HEADING = /^\s*h([1-6])\.\s*(.*)$/;
const LIST = /^\s*([*#-]+)\s+(.*)$/;

/** Renders wiki markup to Markdown-ish text; `""` for nothing (or not a string). */
export function wikiToText(wiki: unknown): string {
  if (typeof wiki !== "string") return "";
  const lines = wiki.replace(/\r\n?/g, "\n").split("\n");
  return renderLines(lines).join("\n").replace(/[ \t]+$/gm, "").replace(/\n{3,}/g, "\n\n")
    .trim();
}

function param(params: string, name: string): string | undefined {
  for (const part of params.replace(/^:/, "").split("|")) {
    const [k, ...v] = part.split("=");
    if (k.trim() === name && v.length > 0) return v.join("=").trim();
  }
  return undefined;
}

function codeLanguage(kind: string, params: string): string {
  if (kind !== "code") return "";
  const first = params.replace(/^:/, "").split("|")[0].trim();
  return first && !first.includes("=") ? first : param(params, "language") ?? "";
}

function renderLines(lines: string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let tableOpen = false;
  while (i < lines.length) {
    const line = lines[i];
    const code = CODE_OPEN.exec(line);
    if (code) {
      const close = new RegExp(`\\{${code[1]}\\}`);
      const lang = codeLanguage(code[1], code[2]);
      const body: string[] = [];
      let rest = code[3];
      let closed = false;
      for (;;) {
        const end = close.exec(rest);
        if (end) {
          body.push(rest.slice(0, end.index));
          closed = true;
          lines[i] = rest.slice(end.index + end[0].length);
          break;
        }
        body.push(rest);
        if (++i >= lines.length) break;
        rest = lines[i];
      }
      while (body.length > 0 && body[0].trim() === "") body.shift();
      while (body.length > 0 && body[body.length - 1].trim() === "") body.pop();
      out.push("```" + lang, ...body, "```");
      tableOpen = false;
      if (!closed) break;
      if (lines[i].trim() === "") i++;
      continue;
    }
    const panel = PANEL_OPEN.exec(line);
    if (panel || QUOTE_TAG.test(line) && /^\s*\{quote\}/.test(line)) {
      const tag = panel ? panel[1] : "quote";
      const close = new RegExp(`\\{${tag}\\}`);
      const first = panel ? panel[3] : line.replace(/^\s*\{quote\}/, "");
      const inner: string[] = [];
      let rest = first;
      for (;;) {
        const end = close.exec(rest);
        if (end) {
          inner.push(rest.slice(0, end.index));
          lines[i] = rest.slice(end.index + end[0].length);
          break;
        }
        inner.push(rest);
        if (++i >= lines.length) {
          lines.push("");
          break;
        }
        rest = lines[i];
      }
      const title = panel ? param(panel[2], "title") : undefined;
      const head = panel && panel[1] !== "panel" ? `${cap(panel[1])}:` : "";
      const label = [head, title ? `**${inline(title)}**` : ""].filter(Boolean).join(" ");
      const body = renderLines(inner);
      while (body.length > 0 && body[0].trim() === "") body.shift();
      while (body.length > 0 && body[body.length - 1].trim() === "") body.pop();
      if (label) body.unshift(label);
      // A blank line after it, so that the next quote or panel is not merged into it.
      out.push(...body.map((l) => (l ? `> ${l}` : ">")), "");
      tableOpen = false;
      if (lines[i].trim() === "") i++;
      continue;
    }
    const trimmed = line.trim();
    if (/^bq\.\s/.test(trimmed)) {
      out.push(`> ${inline(trimmed.slice(3).trim())}`);
    } else if (HEADING.test(line)) {
      const h = HEADING.exec(line)!;
      out.push(`${"#".repeat(Number(h[1]))} ${inline(h[2])}`);
    } else if (/^-{4,}$/.test(trimmed)) {
      out.push("---");
    } else if (trimmed.startsWith("|")) {
      const header = trimmed.startsWith("||");
      const row = tableCells(trimmed).map((c) => inline(c.trim()));
      out.push(`| ${row.join(" | ")} |`);
      if (header && !tableOpen) out.push(`|${row.map(() => " --- ").join("|")}|`);
      tableOpen = true;
      i++;
      continue;
    } else if (LIST.test(line) && !/^\s*-{2,}\s/.test(line) && !/^\s*\*[^*\s][^*]*\*/.test(line)) {
      const m = LIST.exec(line)!;
      const depth = m[1].length - 1;
      const numbered = m[1].endsWith("#");
      out.push(`${"  ".repeat(depth)}${numbered ? "1." : "-"} ${inline(m[2])}`);
    } else {
      out.push(inline(line));
    }
    tableOpen = false;
    i++;
  }
  return out;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Splits a table row on `|`/`||` outside links, monospace and escapes. */
function tableCells(row: string): string[] {
  const cells: string[] = [];
  let current = "";
  let bracket = 0;
  let mono = false;
  for (let k = 0; k < row.length; k++) {
    const ch = row[k];
    if (ch === "\\" && k + 1 < row.length) {
      current += ch + row[++k];
      continue;
    }
    if (row.startsWith("{{", k)) mono = true;
    if (row.startsWith("}}", k)) mono = false;
    if (ch === "[") bracket++;
    if (ch === "]" && bracket > 0) bracket--;
    if (ch === "|" && bracket === 0 && !mono) {
      if (row[k + 1] === "|") k++;
      cells.push(current);
      current = "";
      continue;
    }
    current += ch;
  }
  cells.push(current);
  // The leading separator makes an empty first cell; a trailing one an empty last cell.
  if (cells[0].trim() === "") cells.shift();
  if (cells.length > 0 && cells[cells.length - 1].trim() === "") cells.pop();
  return cells;
}

const WORD = "[\\p{L}\\p{N}]";
// Every span is bounded, so hostile markup cannot make the matching quadratic.
const INLINE = new RegExp(
  [
    "\\{\\{(.{0,1000}?)\\}\\}(?!\\})", // 1 monospace
    "\\[~(?:accountid:)?([^\\]|]{1,255})\\]", // 2 mention
    "\\[([^\\]]{0,2000}?)\\]", // 3 link (with or without a label)
    "!([^!\\s|][^!|]{0,500}?)(?:\\|[^!]{0,500})?!", // 4 image / attachment
    `(?<!${WORD})\\*(?=\\S)([^*]{0,1000}?\\S)\\*(?!${WORD})`, // 5 bold
    `(?<!${WORD})_(?=\\S)([^_]{0,1000}?\\S)_(?!${WORD})`, // 6 italic
    `(?<!${WORD}|-)-(?=[^\\s-])([^-]{0,1000}?[^\\s-])-(?!${WORD}|-)`, // 7 strike
    `(?<!${WORD})\\+(?=\\S)([^+]{0,1000}?\\S)\\+(?!${WORD})`, // 8 underline
    `\\?\\?(?=\\S)(.{0,1000}?\\S)\\?\\?`, // 9 citation
    "\\{color(?::[^}]{0,100})?\\}", // colour tags: dropped
    "\\{anchor(?::[^}]{0,100})?\\}", // anchors: dropped
    "\\\\\\\\", // line break
    "\\\\(.)", // 10 escape
  ].join("|"),
  "gu",
);

/** Converts inline wiki markup to Markdown-ish text. */
export function inline(text: string): string {
  return text.replace(
    INLINE,
    (whole, mono, mention, link, image, bold, it, strike, under, cite, esc) => {
      if (mono !== undefined) return "`" + unescape(mono) + "`";
      if (mention !== undefined) return `@${mention.trim()}`;
      if (link !== undefined) return renderLink(link);
      if (image !== undefined) return `[image: ${image.trim()}]`;
      if (bold !== undefined) return `**${inline(bold)}**`;
      if (it !== undefined) return `*${inline(it)}*`;
      if (strike !== undefined) return `~~${inline(strike)}~~`;
      if (under !== undefined) return inline(under);
      if (cite !== undefined) return `— ${inline(cite)}`;
      if (esc !== undefined) return esc;
      if (whole === "\\\\") return "\n";
      return "";
    },
  );
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, "$1");
}

function renderLink(inner: string): string {
  const parts = inner.split("|");
  if (parts.length === 1) {
    const target = parts[0].trim();
    if (target.startsWith("^")) return `[attachment: ${target.slice(1)}]`;
    if (target.startsWith("#")) return target.slice(1);
    return unescape(target);
  }
  const label = inline(parts[0].trim());
  const target = parts[1].trim();
  if (target.startsWith("~")) return `${label} (@${target.slice(1)})`;
  if (target.startsWith("^")) return `${label} [attachment: ${target.slice(1)}]`;
  return `[${label}](${unescape(target)})`;
}
