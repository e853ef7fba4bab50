/**
 * Markdown → Jira wiki markup, for the comments the runner writes on Jira Data
 * Center / Server (REST v2 takes bodies as wiki markup strings, not ADF).
 *
 * Covered: ATX headings (`h1.`–`h6.`), paragraphs, bullet and numbered lists
 * with nesting (`*`, `**`, `#`, `#*`), fenced code blocks with a language
 * (`{code:java}`; no or an unknown language: `{noformat}`), block quotes
 * (`{quote}`), tables (`||h||` header, `|c|` rows), rules (`----`), bold,
 * italic, strikethrough, inline code (`{{mono}}`), links (`[text|url]`), bare
 * URLs, hard breaks (`\\`) and mentions written as `[@Name](mention:username)`
 * (`[~username]`).
 *
 * Everything else is text, and text is escaped: a comment that quotes a
 * ticket or a reviewer cannot smuggle wiki markup into the runner's comment
 * (no `[~admin]` mention pinging someone, no `!https://…!` image fetched by
 * every reader's browser, no `{html}` macro, no link under a `javascript:`
 * URL). Links keep only `http(s)` and `mailto` targets; images become links.
 * HTML comments are dropped like the Cloud converter drops them.
 *
 * @module
 */

/** Languages Jira's `{code}` macro highlights; anything else is `{noformat}`. */
const CODE_LANGUAGES = new Set([
  "actionscript",
  "ada",
  "applescript",
  "bash",
  "c",
  "c#",
  "c++",
  "cpp",
  "css",
  "erlang",
  "go",
  "groovy",
  "haskell",
  "html",
  "java",
  "javascript",
  "js",
  "json",
  "lua",
  "objc",
  "perl",
  "php",
  "python",
  "r",
  "ruby",
  "scala",
  "sh",
  "sql",
  "swift",
  "visualbasic",
  "xml",
  "yaml",
]);

const LANGUAGE_ALIASES: Record<string, string> = {
  shell: "bash",
  zsh: "bash",
  console: "bash",
  py: "python",
  rb: "ruby",
  yml: "yaml",
  csharp: "c#",
  cs: "c#",
  golang: "go",
  kt: "java",
  jsx: "javascript",
  mjs: "javascript",
};

/** Converts Markdown to Jira wiki markup. */
export function markdownToWiki(markdown: string): string {
  const text = (markdown ?? "").replace(/\r\n?/g, "\n").replace(/<!--[\s\S]*?-->/g, "");
  return blocks(text.split("\n")).join("\n\n").replace(/\n{3,}/g, "\n\n").trim();
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}>\s?(.*)$/;
const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

/** Converts lines to wiki blocks (each a string, possibly multi-line). */
function blocks(lines: string[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === "") {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const close = new RegExp(`^ {0,3}${fence[1][0]}{${fence[1].length},}\\s*$`);
      const body: string[] = [];
      i++;
      while (i < lines.length && !close.test(lines[i])) body.push(lines[i++]);
      i++; // the closing fence (or the end)
      out.push(codeBlock(fence[2], body.join("\n")));
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      out.push(`h${heading[1].length}. ${inline(heading[2])}`);
      i++;
      continue;
    }
    if (RULE.test(line)) {
      out.push("----");
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      // Jira's {quote} does not nest: nested quotes are flattened into one (and hostile
      // input cannot recurse without bound).
      const inner: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i])) {
        inner.push(lines[i++].replace(/^(?: {0,3}>[ \t]?)+/, ""));
      }
      const content = blocks(inner).join("\n\n");
      if (content) out.push(`{quote}\n${content}\n{quote}`);
      continue;
    }
    if (isTableStart(lines, i)) {
      const rows: string[] = [tableRow(lines[i], true)];
      i += 2;
      while (i < lines.length && lines[i].includes("|") && lines[i].trim() !== "") {
        rows.push(tableRow(lines[i++], false));
      }
      out.push(rows.join("\n"));
      continue;
    }
    if (LIST_ITEM.test(line)) {
      const items: string[] = [];
      i = list(lines, i, items);
      out.push(items.join("\n"));
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length && lines[i].trim() !== "" && !startsBlock(lines, i)) {
      paragraph.push(lines[i++]);
    }
    out.push(paragraphText(paragraph));
  }
  return out.filter((b) => b !== "");
}

function startsBlock(lines: string[], i: number): boolean {
  const line = lines[i];
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) ||
    LIST_ITEM.test(line) || isTableStart(lines, i);
}

function isTableStart(lines: string[], i: number): boolean {
  return lines[i].includes("|") && i + 1 < lines.length && lines[i + 1].includes("-") &&
    TABLE_SEPARATOR.test(lines[i + 1]);
}

/** Splits a Markdown table row on unescaped pipes outside code spans. */
function cells(row: string): string[] {
  const out: string[] = [];
  let current = "";
  let inCode = false;
  const text = row.trim().replace(/^\|/, "").replace(/(?<!\\)\|$/, "");
  for (let k = 0; k < text.length; k++) {
    const ch = text[k];
    if (ch === "\\" && text[k + 1] === "|") {
      current += "|";
      k++;
    } else if (ch === "`") {
      inCode = !inCode;
      current += ch;
    } else if (ch === "|" && !inCode) {
      out.push(current.trim());
      current = "";
    } else current += ch;
  }
  out.push(current.trim());
  return out;
}

function tableRow(row: string, header: boolean): string {
  const sep = header ? "||" : "|";
  // An empty cell would merge with its neighbour's separator: give it a space.
  return sep + cells(row).map((c) => inline(c) || " ").join(sep) + sep;
}

/** Reads a (possibly nested) list from line `i`; pushes wiki lines; answers the next line. */
function list(lines: string[], start: number, out: string[]): number {
  const stack: { indent: number; marker: "*" | "#" }[] = [];
  let i = start;
  while (i < lines.length) {
    const line = lines[i];
    const m = LIST_ITEM.exec(line);
    if (!m) {
      // A lazy continuation line belongs to the previous item.
      if (line.trim() === "" || startsBlock(lines, i) || out.length === 0) break;
      out[out.length - 1] += ` ${inline(line.trim())}`;
      i++;
      continue;
    }
    const indent = m[1].replace(/\t/g, "    ").length;
    const marker = /\d/.test(m[2]) ? "#" : "*";
    while (stack.length > 0 && indent < stack[stack.length - 1].indent) stack.pop();
    const top = stack[stack.length - 1];
    if (!top || indent > top.indent + 1) stack.push({ indent, marker });
    else top.marker = marker;
    const prefix = stack.map((s) => s.marker).join("");
    let text = m[3];
    const task = /^\[([ xX])\]\s+(.*)$/.exec(text);
    if (task) text = `${task[1] === " " ? "(?)" : "(/)"} ${task[2]}`;
    out.push(`${prefix} ${task ? text.slice(0, 4) + inline(text.slice(4)) : inline(text)}`);
    i++;
    // A blank line followed by an indented item keeps the list going.
    if (
      i + 1 < lines.length && lines[i]?.trim() === "" && LIST_ITEM.test(lines[i + 1]) &&
      /^\s+/.test(lines[i + 1])
    ) i++;
  }
  return i;
}

function paragraphText(lines: string[]): string {
  const parts: string[] = [];
  for (let k = 0; k < lines.length; k++) {
    const raw = lines[k];
    const hardBreak = / {2,}$/.test(raw) || /\\$/.test(raw);
    const text = inline(raw.trim().replace(/\\$/, ""));
    parts.push(text + (hardBreak && k < lines.length - 1 ? " \\\\" : ""));
  }
  return escapeLineStart(parts.join(" "));
}

/**
 * A paragraph must not start like a wiki block: `h1.`, `bq.` or a `#` list
 * (`*`, `-` and `----` are already escaped as text).
 */
function escapeLineStart(text: string): string {
  if (/^(h[1-6]|bq)\.\s/.test(text)) return text.replace(".", "\\.");
  if (text.startsWith("#")) return `\\${text}`;
  return text;
}

function codeBlock(lang: string, body: string): string {
  const wanted = lang.toLowerCase();
  const language = LANGUAGE_ALIASES[wanted] ?? wanted;
  // The closing tag cannot be escaped inside the macro: break it up instead.
  const safe = body.replace(/\{(code|noformat)([:}])/gi, "{ $1$2");
  return CODE_LANGUAGES.has(language)
    ? `{code:${language}}\n${safe}\n{code}`
    : `{noformat}\n${safe}\n{noformat}`;
}

const SAFE_URL = /^(https?:\/\/|mailto:)[^\s]+$/i;
const USERNAME = /^[\w.@+-]{1,255}$/;

/** A URL made safe inside `[text|url]`: no `|`, `]`, spaces or braces. */
function linkTarget(url: string): string {
  return url.replace(/[|\]\[{}\s!]/g, (c) => encodeURIComponent(c));
}

/** Escapes text so that Jira shows it as written. */
export function escapeWiki(text: string): string {
  return text
    .replace(/[\\*_{}[\]|!^~+-]/g, (c, at: number, all: string) => {
      if ("-+^~".includes(c)) {
        // Only where it could open or close formatting (a word edge); `a-b` stays.
        const before = all[at - 1] ?? " ";
        const after = all[at + 1] ?? " ";
        if (/[\p{L}\p{N}]/u.test(before) && /[\p{L}\p{N}]/u.test(after)) return c;
      }
      return `\\${c}`;
    })
    .replace(/\?\?/g, "\\?\\?");
}

// Every span is bounded (a few hundred characters on one line), so hostile
// text cannot make the matching quadratic.
const INLINE = new RegExp(
  [
    "(`{1,8})([^\\n]{0,1000}?[^`])\\1(?!`)", // 1,2 code span
    '(!?)\\[((?:\\\\.|[^\\]\\\\\\n]){0,500})\\]\\(\\s*<?([^\\s)>]{0,2000})>?(?:\\s+"[^"\\n]{0,500}")?\\s*\\)', // 3,4,5 link/image
    "<(https?:\\/\\/[^\\s>]{1,2000})>", // 6 autolink
    "(https?:\\/\\/[^\\s<>()\\[\\]|]{1,2000}[^\\s<>()\\[\\]|.,;:!?'\"*_~])", // 7 bare URL
    "(\\*\\*|__)(?=\\S)([^\\n]{0,500}?\\S)\\8", // 8,9 strong
    "~~(?=\\S)([^\\n]{0,500}?\\S)~~", // 10 strike
    "(\\*|_)(?=\\S)([^\\n]{0,500}?\\S)\\11(?![\\p{L}\\p{N}])", // 11,12 emphasis
    "\\\\([!-/:-@[-`{-~])", // 13 Markdown escape
    "<\\/?[A-Za-z][^>\\n]{0,500}>", // HTML tag: dropped
  ].join("|"),
  "gu",
);

/** Converts Markdown inline text to wiki markup. */
export function inline(text: string): string {
  let out = "";
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    const at = m.index!;
    if (
      (m[11] === "_" || m[8] === "__") && at > 0 && /[\p{L}\p{N}]/u.test(text[at - 1])
    ) continue; // snake_case is not emphasis
    out += escapeWiki(text.slice(last, at));
    last = at + m[0].length;
    if (m[1] !== undefined) out += monospace(m[2].replace(/^ (.*) $/, "$1"));
    else if (m[4] !== undefined) out += link(m[3] === "!", m[4], m[5]);
    else if (m[6] !== undefined) out += `[${linkTarget(m[6])}]`;
    else if (m[7] !== undefined) out += `[${linkTarget(m[7])}]`;
    else if (m[9] !== undefined) out += `*${inline(m[9])}*`;
    else if (m[10] !== undefined) out += `-${inline(m[10])}-`;
    else if (m[12] !== undefined) out += `_${inline(m[12])}_`;
    else if (m[13] !== undefined) out += escapeWiki(m[13]);
    // else: an HTML tag, dropped
  }
  return out + escapeWiki(text.slice(last));
}

function monospace(code: string): string {
  // Wiki markup is live inside {{…}}: escape it, and never let `}}` close early.
  return code.trim() === "" ? escapeWiki(code) : `{{${escapeWiki(code)}}}`;
}

function link(image: boolean, label: string, url: string): string {
  const mention = /^mention:(.+)$/.exec(url);
  if (mention && !image && USERNAME.test(mention[1])) return `[~${mention[1]}]`;
  const text = inline(label.replace(/\\([\]\\[])/g, "$1")).replace(/\|/g, "\\|");
  if (!SAFE_URL.test(url)) return text; // javascript:, data:, relative: text only
  const target = linkTarget(url);
  // An image becomes a link: an embedded external image would be fetched by every reader.
  return `[${text || escapeWiki(url)}|${target}]`;
}
