/**
 * The repository map of a worktree (see `domain/repo_map.ts`): walks the tree
 * without following symlinks, ranks the files toward the ticket, and asks
 * Universal Ctags for the top-level symbols of the most relevant ones.
 *
 * Why ctags: Debian's `universal-ctags` is maintained, packaged (no download
 * at run time, no grammar files to vendor), knows 150+ languages, and has a
 * JSON output. tree-sitter gives finer trees but needs a grammar (WASM or a
 * native build) per language fetched from npm; an LSP needs the project's
 * toolchain installed. A map needs only names, kinds and lines.
 *
 * ctags parses hostile files, so it runs with: `--options=NONE` (no option
 * files from the repository or `$HOME`, no `CTAGS` variable; a repository's
 * `.ctags.d` could otherwise define parsers or redirect output), an explicit
 * list of regular files on stdin (vetted here: no symlinks, no hard links,
 * each under a size limit; `--links=no` as well), output to stdout only, an
 * empty environment, a timeout that kills it, and a cap on the output read.
 * When ctags is missing or fails, the map is the ranked tree alone.
 *
 * @module
 */
import { SKIP_DIRS } from "./paths.ts";
import {
  type MapFile,
  type MapFocus,
  type MapSymbol,
  rankFiles,
  renderRepoMap,
} from "../../domain/repo_map.ts";

/** How the map is built. */
export interface RepoMapOptions {
  /** What the ticket asks about (ranking). */
  focus?: MapFocus;
  /** Most characters of the map (default 12,000, about 3,000 tokens). */
  budgetChars?: number;
  /** Most files walked (default 50,000); a bigger tree is mapped in part. */
  maxFiles?: number;
  /** The ctags program; null: no symbols. Default `ctags` on PATH. */
  ctags?: string | null;
  /** Files given to ctags: the most relevant ones (default 40). */
  maxTaggedFiles?: number;
  /** Largest file given to ctags, bytes (default 512 KiB). */
  maxTaggedFileBytes?: number;
  /** How long ctags may run (default 10 s). */
  ctagsTimeoutMs?: number;
  /** Most bytes of ctags output read (default 4 MiB). */
  maxCtagsOutputBytes?: number;
}

/** The map and how it was made. */
export interface RepoMap {
  text: string;
  /** Files walked (bounded by `maxFiles`). */
  totalFiles: number;
  /** True when the walk stopped at `maxFiles`. */
  incomplete: boolean;
  /** `ctags` when symbols were added, else `none`. */
  symbols: "ctags" | "none";
  /** The files ranked most relevant (score > 0), best first, at most 50. */
  relevant: string[];
  /** What went wrong or was left out (ctags missing, timed out, …). */
  notes: string[];
  /** Every file walked, relative to the root. */
  files: string[];
}

/** Walks the worktree breadth-first: regular files only, symlinks neither followed nor listed. */
export async function walkFiles(
  root: string,
  maxFiles: number,
): Promise<{ files: MapFile[]; incomplete: boolean }> {
  const files: MapFile[] = [];
  const queue = [""];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    const entries: Deno.DirEntry[] = [];
    try {
      for await (const e of Deno.readDir(dir ? `${root}/${dir}` : root)) entries.push(e);
    } catch {
      continue;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.isSymlink || e.name === ".git") continue;
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory) {
        if (!SKIP_DIRS.has(e.name)) queue.push(rel);
      } else if (e.isFile) {
        if (files.length >= maxFiles) return { files, incomplete: true };
        let size = 0;
        try {
          size = (await Deno.lstat(`${root}/${rel}`)).size;
        } catch { /* vanished */ }
        files.push({ path: rel, size });
      }
    }
  }
  return { files, incomplete: false };
}

/** Builds the map of a worktree. */
export async function buildRepoMap(root: string, options: RepoMapOptions = {}): Promise<RepoMap> {
  const realRoot = await Deno.realPath(root);
  const { files, incomplete } = await walkFiles(realRoot, options.maxFiles ?? 50_000);
  const ranked = rankFiles(files, options.focus);
  const notes: string[] = [];
  const maxBytes = options.maxTaggedFileBytes ?? 512 * 1024;
  // Symbols for the most relevant files; without a focus, the shallowest source files.
  const candidates = ranked.filter((f) => f.size > 0 && f.size <= maxBytes && !isLikelyData(f.path))
    .filter((f, _i, all) => all.some((o) => o.score > 0) ? f.score > 0 : true)
    .slice(0, options.maxTaggedFiles ?? 40);
  let symbols = new Map<string, MapSymbol[]>();
  let used: RepoMap["symbols"] = "none";
  const ctags = options.ctags === undefined ? "ctags" : options.ctags;
  if (ctags && candidates.length > 0) {
    const vetted = await vetForCtags(realRoot, candidates.map((c) => c.path), maxBytes);
    const result = await runCtags(ctags, realRoot, vetted, {
      timeoutMs: options.ctagsTimeoutMs ?? 10_000,
      maxOutputBytes: options.maxCtagsOutputBytes ?? 4 * 1024 * 1024,
    });
    if (result.ok) {
      symbols = result.symbols;
      used = "ctags";
      if (result.note) notes.push(result.note);
    } else {
      notes.push(result.note);
    }
  }
  const text = renderRepoMap({
    files,
    ranked,
    symbols,
    budgetChars: options.budgetChars ?? 12_000,
    incomplete,
  });
  return {
    text,
    totalFiles: files.length,
    incomplete,
    symbols: used,
    relevant: ranked.filter((f) => f.score > 0).slice(0, 50).map((f) => f.path),
    notes,
    files: files.map((f) => f.path),
  };
}

function isLikelyData(path: string): boolean {
  return /\.(?:lock|min\.js|map|svg|png|jpe?g|gif|webp|ico|pdf|zip|gz|woff2?|ttf|bin|csv|tsv)$/i
    .test(path) ||
    /(?:^|\/)(?:package-lock\.json|yarn\.lock|pnpm-lock\.yaml|deno\.lock)$/.test(path);
}

/** Keeps the paths that are regular, singly linked files within the size limit, inside the root. */
async function vetForCtags(root: string, paths: string[], maxBytes: number): Promise<string[]> {
  const ok: string[] = [];
  for (const path of paths) {
    // Names with line breaks would split the file list; ctags never sees them.
    if (/[\n\r]/.test(path) || path.startsWith("-")) continue;
    try {
      const info = await Deno.lstat(`${root}/${path}`);
      if (!info.isFile || info.isSymlink || (info.nlink ?? 1) > 1 || info.size > maxBytes) continue;
      const real = await Deno.realPath(`${root}/${path}`);
      if (!real.startsWith(`${root}/`)) continue;
      ok.push(path);
    } catch { /* vanished */ }
  }
  return ok;
}

/** Kinds that say nothing about what a file offers (imports, locals). */
const SKIPPED_KINDS = new Set(["alias", "local", "parameter", "label", "import", "unknown"]);

type CtagsResult =
  | { ok: true; symbols: Map<string, MapSymbol[]>; note?: string }
  | { ok: false; note: string };

/** Runs ctags over vetted files (paths relative to `root`), bounded in time and output. */
export async function runCtags(
  program: string,
  root: string,
  paths: readonly string[],
  limits: { timeoutMs: number; maxOutputBytes: number },
): Promise<CtagsResult> {
  if (paths.length === 0) return { ok: true, symbols: new Map() };
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args: [
        "--options=NONE", // first: nothing from the repository, $HOME or $CTAGS
        "--output-format=json",
        "--fields=-P+nKs",
        "--links=no",
        "--sort=no",
        "-L",
        "-",
        "-f",
        "-",
      ],
      cwd: root,
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin", LC_ALL: "C.UTF-8" },
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      signal: timeout,
    }).spawn();
  } catch (error) {
    if (timeout.aborted) {
      return {
        ok: false,
        note: `ctags ran over ${limits.timeoutMs} ms and was stopped: no symbols.`,
      };
    }
    return {
      ok: false,
      note: error instanceof Deno.errors.NotFound
        ? "ctags is not installed (Debian: apt install universal-ctags): the map has no symbols."
        : `ctags did not start: ${(error as Error).message}`,
    };
  }
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(paths.join("\n") + "\n")).catch(() => {});
  await writer.close().catch(() => {});
  const chunks: Uint8Array[] = [];
  let size = 0;
  let cut = false;
  const reader = child.stdout.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.length > limits.maxOutputBytes) {
        cut = true;
        chunks.push(value.subarray(0, limits.maxOutputBytes - size));
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
        await reader.cancel().catch(() => {});
        break;
      }
      chunks.push(value);
      size += value.length;
    }
  } catch { /* killed on timeout */ }
  const status = await child.status;
  if (timeout.aborted) {
    return {
      ok: false,
      note: `ctags ran over ${limits.timeoutMs} ms and was stopped: no symbols.`,
    };
  }
  if (!cut && !status.success) {
    return { ok: false, note: `ctags failed (exit ${status.code}): no symbols.` };
  }
  const text = new TextDecoder().decode(concat(chunks));
  const wanted = new Set(paths);
  const symbols = new Map<string, MapSymbol[]>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    let tag: Record<string, unknown>;
    try {
      tag = JSON.parse(line);
    } catch {
      continue; // the last line of a cut output
    }
    const path = typeof tag.path === "string" ? tag.path : "";
    if (tag._type !== "tag" || !wanted.has(path) || typeof tag.name !== "string") continue;
    if (SKIPPED_KINDS.has(String(tag.kind))) continue;
    const symbol: MapSymbol = {
      name: tag.name.slice(0, 120),
      kind: typeof tag.kind === "string" ? tag.kind.slice(0, 30) : "symbol",
      line: typeof tag.line === "number" ? tag.line : 0,
    };
    if (typeof tag.scope === "string") symbol.scope = tag.scope.slice(0, 120);
    const list = symbols.get(path) ?? [];
    if (list.length < 200) list.push(symbol);
    symbols.set(path, list);
  }
  return {
    ok: true,
    symbols,
    ...(cut ? { note: `ctags output over ${limits.maxOutputBytes} bytes was cut.` } : {}),
  };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
