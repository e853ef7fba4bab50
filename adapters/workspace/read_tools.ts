/**
 * The reading tools: `list_files`, `read_file`, `search`. All answers are
 * bounded; `.git` is never entered and symlinks are never followed.
 *
 * @module
 */
import type { ToolOutcome } from "../../domain/agent/tool_executor.ts";
import { OffSandbox } from "../sandbox/off.ts";
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

/**
 * `search {pattern, path?}`: ripgrep in the sandbox, a linear-time regex
 * engine in its own process, never a model-supplied regex on the event loop.
 */
export async function search(
  ctx: ToolContext,
  input: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<ToolOutcome> {
  const patternField = stringField(input, "pattern", true);
  if (!patternField.ok) return fail(patternField.error);
  const pattern = patternField.value!;
  if (pattern === "") return fail("`pattern` must not be empty");
  if (pattern.length > 1000) return fail("`pattern` is too long (1000 characters at most)");
  if (pattern.includes("\0")) return fail("`pattern` contains a NUL character");
  const path = await ctx.root.resolve(input.path, true);
  if (!path.ok) return fail(path.error);
  if (path.kind === "missing") return fail(`"${path.rel}" does not exist`);

  let note = "";
  let run = await ripgrep(ctx, pattern, path.rel, false, signal);
  if (run.exitCode === 2 && /regex parse error|error parsing regex/i.test(run.output)) {
    note = " (not a valid regular expression; searched as literal text)";
    run = await ripgrep(ctx, pattern, path.rel, true, signal);
  }
  const where = path.rel || "the repository";
  if (run.timedOut) {
    return fail(`search took longer than ${ctx.limits.searchSeconds} s; narrow the path`);
  }
  if (run.exitCode === 1) {
    return ok(`No matches for ${JSON.stringify(pattern)} in ${where}${note}.`);
  }
  if (run.exitCode !== 0 && run.exitCode !== 2) {
    return fail(`search failed: ${clipLine(run.output.trim(), 500)}`);
  }
  const results: string[] = [];
  const filesWithHits = new Set<string>();
  const linkChecks = new Map<string, boolean>();
  let truncated = false;
  for (const line of run.output.split("\n")) {
    const nul = line.indexOf("\0");
    if (nul < 0) continue; // rg's own warnings (unreadable files)
    const file = line.slice(0, nul);
    const m = /^(\d+):(.*)$/s.exec(line.slice(nul + 1));
    if (!m || !(await singlyLinked(ctx, file, linkChecks))) continue;
    if (results.length >= ctx.limits.maxSearchResults) {
      truncated = true;
      break;
    }
    filesWithHits.add(file);
    results.push(`${file}:${m[1]}: ${clipLine(m[2].trim(), 300)}`);
  }
  if (results.length === 0) {
    return ok(`No matches for ${JSON.stringify(pattern)} in ${where}${note}.`);
  }
  let text = `${results.length} matches in ${filesWithHits.size} files for ` +
    `${JSON.stringify(pattern)} in ${where}${note}:\n${results.join("\n")}`;
  if (truncated) text += `\n[stopped at ${results.length} matches; narrow the pattern or path]`;
  return ok(clip(text, ctx.limits.maxOutputChars));
}

/**
 * True for a regular file with one link: a hard link may share its content
 * with a file outside the worktree, and the tools never show that.
 */
async function singlyLinked(
  ctx: ToolContext,
  rel: string,
  seen: Map<string, boolean>,
): Promise<boolean> {
  let answer = seen.get(rel);
  if (answer === undefined) {
    try {
      const info = await Deno.lstat(ctx.root.absolute(rel));
      answer = info.isFile && (info.nlink ?? 1) <= 1;
    } catch {
      answer = false;
    }
    seen.set(rel, answer);
  }
  return answer;
}

/** Runs ripgrep over `rel` (the whole worktree when empty), in the sandbox. */
function ripgrep(
  ctx: ToolContext,
  pattern: string,
  rel: string,
  literal: boolean,
  signal?: AbortSignal,
) {
  // Tools opened without a sandbox (unit tests, tools) still keep the pattern off the
  // event loop: ripgrep as a plain process, the worktree paths already checked.
  const sandbox = ctx.sandbox ?? new OffSandbox();
  const argv = [
    "rg",
    "--no-config",
    "--line-number",
    "--with-filename",
    "--no-heading",
    "--null",
    "--color=never",
    "--hidden",
    "--glob=!.git",
    "--sort=path",
    `--max-filesize=${ctx.limits.maxFileBytes}`,
    `--max-columns=${ctx.limits.maxLineChars}`,
    "--max-columns-preview",
    `--max-count=${ctx.limits.maxSearchResults + 1}`,
    ...(literal ? ["--fixed-strings"] : []),
    "--regexp",
    pattern,
    "--",
    ...(rel ? [rel] : []),
  ];
  return sandbox.run({
    argv,
    cwd: ctx.root.real,
    timeoutMs: ctx.limits.searchSeconds * 1000,
    signal,
    network: { mode: "none" },
    // Room for every result the tool may show; the sink keeps the head.
    maxOutputChars: 4 * (ctx.limits.maxSearchResults + 1) * (ctx.limits.maxLineChars + 200),
  });
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n[output cut at ${max} characters]`;
}
