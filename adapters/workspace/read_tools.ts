/**
 * The reading tools: `list_files`, `read_file`, `search`. All answers are
 * bounded; `.git` is never entered and symlinks are never followed.
 *
 * @module
 */
import type { ToolOutcome } from "../../domain/agent/tool_executor.ts";
import { fail, ok, type ToolContext } from "./context.ts";
import { positiveIntField, stringField } from "./input.ts";
import { clipLine, decodeText, looksBinary, splitLines } from "./text.ts";

/** An entry met by {@link walkFiles}. */
interface WalkEntry {
  rel: string;
  symlink: boolean;
}

/** Files under a directory in path order; `.git` skipped, symlinks not entered. */
async function* walkFiles(
  ctx: ToolContext,
  dir: string,
  visited: { count: number; stopped: boolean },
): AsyncGenerator<WalkEntry> {
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(ctx.root.absolute(dir))) entries.push(e);
  } catch {
    return; // vanished or unreadable: nothing to show
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name === ".git") continue;
    if (visited.stopped || ++visited.count > ctx.limits.maxWalkEntries) {
      visited.stopped = true;
      return;
    }
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory) yield* walkFiles(ctx, rel, visited);
    else yield { rel, symlink: e.isSymlink };
  }
}

/** `list_files {path?}` */
export async function listFiles(
  ctx: ToolContext,
  input: Record<string, unknown>,
): Promise<ToolOutcome> {
  const path = await ctx.root.resolve(input.path, true);
  if (!path.ok) return fail(path.error);
  if (path.kind === "missing") return fail(`"${path.rel}" does not exist`);
  if (path.kind === "file") return ok(`${path.rel} is a file.`);

  const visited = { count: 0, stopped: false };
  const lines: string[] = [];
  let more = false;
  for await (const entry of walkFiles(ctx, path.rel, visited)) {
    if (lines.length >= ctx.limits.maxListEntries) {
      more = true;
      break;
    }
    lines.push(entry.symlink ? `${entry.rel} (symlink, not followed)` : entry.rel);
  }
  const where = path.rel || "the repository";
  if (lines.length === 0) return ok(`No files under ${where}.`);
  let text = `Files under ${where}:\n${lines.join("\n")}`;
  if (more || visited.stopped) {
    text += `\n[listing stopped after ${lines.length} entries; list a subdirectory to see more]`;
  }
  return ok(clip(text, ctx.limits.maxOutputChars));
}

/** Reads a file the tools may show as text, or says why not. */
export async function readTextFile(
  ctx: ToolContext,
  rawPath: unknown,
): Promise<{ ok: true; rel: string; abs: string; text: string } | { ok: false; error: string }> {
  const path = await ctx.root.resolve(rawPath);
  if (!path.ok) return path;
  if (path.kind === "missing") return { ok: false, error: `"${path.rel}" does not exist` };
  if (path.kind === "directory") {
    return { ok: false, error: `"${path.rel}" is a directory; use list_files` };
  }
  const info = await Deno.stat(path.abs);
  if (info.size > ctx.limits.maxFileBytes) {
    return {
      ok: false,
      error: `"${path.rel}" is ${info.size} bytes, over the ${ctx.limits.maxFileBytes}-byte ` +
        "limit of this tool; use search to find what you need in it",
    };
  }
  const bytes = await Deno.readFile(path.abs);
  if (looksBinary(bytes)) {
    return { ok: false, error: `"${path.rel}" is a binary file (${bytes.length} bytes)` };
  }
  return { ok: true, rel: path.rel, abs: path.abs, text: decodeText(bytes) };
}

/** `read_file {path, offset?, limit?}` */
export async function readFile(
  ctx: ToolContext,
  input: Record<string, unknown>,
): Promise<ToolOutcome> {
  const offsetField = positiveIntField(input, "offset");
  if (!offsetField.ok) return fail(offsetField.error);
  const limitField = positiveIntField(input, "limit");
  if (!limitField.ok) return fail(limitField.error);
  const file = await readTextFile(ctx, input.path);
  if (!file.ok) return fail(file.error);

  const lines = splitLines(file.text);
  if (lines.length === 0) return ok(`${file.rel} is empty.`);
  const first = offsetField.value ?? 1;
  if (first > lines.length) {
    return fail(`offset ${first} is past the end of ${file.rel}, which has ${lines.length} lines`);
  }
  const limit = Math.min(limitField.value ?? ctx.limits.defaultReadLines, ctx.limits.maxReadLines);
  const shown: string[] = [];
  let size = 0;
  let last = first - 1;
  for (let n = first; n <= Math.min(lines.length, first + limit - 1); n++) {
    const line = `${n}\t${clipLine(lines[n - 1], ctx.limits.maxLineChars)}`;
    if (size + line.length + 1 > ctx.limits.maxOutputChars && shown.length > 0) break;
    shown.push(line);
    size += line.length + 1;
    last = n;
  }
  const crlf = file.text.includes("\r\n") ? " (CRLF line endings)" : "";
  let text = `${file.rel}: lines ${first}-${last} of ${lines.length}${crlf}\n${shown.join("\n")}`;
  if (last < lines.length) text += `\n[more lines follow; continue with offset ${last + 1}]`;
  return ok(text);
}

/** `search {pattern, path?}` */
export async function search(
  ctx: ToolContext,
  input: Record<string, unknown>,
): Promise<ToolOutcome> {
  const patternField = stringField(input, "pattern", true);
  if (!patternField.ok) return fail(patternField.error);
  const pattern = patternField.value!;
  if (pattern === "") return fail("`pattern` must not be empty");
  if (pattern.length > 1000) return fail("`pattern` is too long (1000 characters at most)");
  const path = await ctx.root.resolve(input.path, true);
  if (!path.ok) return fail(path.error);
  if (path.kind === "missing") return fail(`"${path.rel}" does not exist`);

  let regex: RegExp | null = null;
  let note = "";
  try {
    regex = new RegExp(pattern);
  } catch {
    note = " (not a valid regular expression; searched as literal text)";
  }
  const matches = regex
    ? (line: string) => regex.test(line)
    : (line: string) => line.includes(pattern);

  const files: WalkEntry[] = path.kind === "file"
    ? [{ rel: path.rel, symlink: false }]
    : await collect(walkFiles(ctx, path.rel, { count: 0, stopped: false }));
  const results: string[] = [];
  const filesWithHits = new Set<string>();
  let truncated = false;
  scan: for (const file of files) {
    if (file.symlink) continue;
    const abs = ctx.root.absolute(file.rel);
    let bytes: Uint8Array;
    try {
      const info = await Deno.lstat(abs);
      if (!info.isFile || (info.nlink ?? 1) > 1 || info.size > ctx.limits.maxFileBytes) continue;
      bytes = await Deno.readFile(abs);
    } catch {
      continue;
    }
    if (looksBinary(bytes)) continue;
    const lines = splitLines(decodeText(bytes));
    for (let i = 0; i < lines.length; i++) {
      // Long lines are matched on their start only, which also bounds regex time.
      if (!matches(lines[i].slice(0, ctx.limits.maxLineChars))) continue;
      if (results.length >= ctx.limits.maxSearchResults) {
        truncated = true;
        break scan;
      }
      filesWithHits.add(file.rel);
      results.push(`${file.rel}:${i + 1}: ${clipLine(lines[i].trim(), 300)}`);
    }
  }
  const where = path.rel || "the repository";
  if (results.length === 0) {
    return ok(`No matches for ${JSON.stringify(pattern)} in ${where}${note}.`);
  }
  let text = `${results.length} matches in ${filesWithHits.size} files for ` +
    `${JSON.stringify(pattern)} in ${where}${note}:\n${results.join("\n")}`;
  if (truncated) text += `\n[stopped at ${results.length} matches; narrow the pattern or path]`;
  return ok(clip(text, ctx.limits.maxOutputChars));
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n[output cut at ${max} characters]`;
}
