/**
 * A repository map for the prompt, within a budget: the directory tree with
 * file counts, ranked toward what the ticket names (paths, file names, words),
 * and the top-level symbols of the most relevant files. This module ranks and
 * renders; `adapters/workspace/repo_map.ts` walks the worktree and runs ctags.
 * Pure.
 *
 * The budget is in characters; a token is about four characters of code or
 * English, so `4 × tokens` is the usual conversion.
 *
 * @module
 */

/** A file of the repository. */
export interface MapFile {
  /** Relative to the root, `/`-separated. */
  path: string;
  /** Bytes. */
  size: number;
}

/** A symbol a parser found in a file. */
export interface MapSymbol {
  name: string;
  /** `function`, `class`, `method`, `interface`, … (the parser's word). */
  kind: string;
  line: number;
  /** The enclosing class or namespace, for members. */
  scope?: string;
}

/** What the ticket asks about, for ranking. */
export interface MapFocus {
  /** Free text: summary, description, feedback. */
  text: string;
  /** Paths named explicitly (attachments' names, review comments' files). */
  paths?: readonly string[];
}

/** A file's relevance to the ticket and why. */
export interface RankedFile extends MapFile {
  score: number;
}

const STOPWORDS = new Set(
  ("the and for with that this from into when then than have has had not but are was were " +
    "will would should could can may might must need needs please make makes made add adds " +
    "use uses using used page pages file files line lines issue ticket bug fix fixes fixed " +
    "update updates updated change changes changed new old all any some each more most only " +
    "also just like what which who how why where there here they them their its it's our you " +
    "your see does did done get got set sets one two out about after before over under very " +
    "should shall being been being via per etc")
    .split(/\s+/),
);

/** Words of a text worth matching against paths: lower-case, 3+ characters, no stopwords. */
export function focusWords(text: string): string[] {
  const words = new Set<string>();
  for (const raw of text.toLowerCase().split(/[^a-z0-9_]+/)) {
    // camelCase and snake_case parts too: "loginPage" → login, page.
    for (const w of [raw, ...raw.split("_")]) {
      if (w.length >= 3 && !STOPWORDS.has(w) && !/^\d+$/.test(w)) words.add(w);
    }
  }
  for (const m of text.matchAll(/[A-Za-z][a-z0-9]+(?=[A-Z])|[A-Z][a-z0-9]+/g)) {
    const w = m[0].toLowerCase();
    if (w.length >= 3 && !STOPWORDS.has(w)) words.add(w);
  }
  return [...words].slice(0, 200);
}

/** Path-like tokens in a text (`src/app.ts`, `install.md`). */
export function focusPaths(text: string): string[] {
  const found = new Set<string>();
  for (
    const m of text.matchAll(
      /(?:[\w@.+-]+\/)*[\w@+-][\w@.+-]*\.[A-Za-z][A-Za-z0-9]{0,7}\b|(?:[\w@.+-]+\/)+[\w@.+-]+/g,
    )
  ) {
    const path = m[0].replace(/^\.\//, "").replace(/[.,;:]+$/, "");
    if (!/^[a-z]+:\/\//i.test(path) && path.length <= 300) found.add(path);
  }
  return [...found].slice(0, 200);
}

function stem(name: string): string {
  const dot = name.indexOf(".");
  return (dot <= 0 ? name : name.slice(0, dot)).toLowerCase();
}

/** Scores every file against the focus; the highest first, then shallow, then by path. */
export function rankFiles(files: readonly MapFile[], focus: MapFocus | undefined): RankedFile[] {
  const text = focus?.text ?? "";
  const words = focusWords(text);
  const named = [...new Set([...focusPaths(text), ...(focus?.paths ?? [])])]
    .map((p) => p.replace(/^\.\//, "").toLowerCase());
  const ranked = files.map((f) => {
    const lower = f.path.toLowerCase();
    const segments = lower.split("/");
    const base = segments[segments.length - 1];
    let score = 0;
    for (const n of named) {
      if (lower === n || lower.endsWith(`/${n}`)) score += 100;
      else if (n.includes("/") && (lower.startsWith(`${n}/`) || lower.includes(`/${n}/`))) {
        score += 20;
      }
    }
    for (const w of words) {
      if (stem(base) === w) score += 12;
      else if (segments.slice(0, -1).includes(w)) score += 5;
      else if (base.includes(w)) score += 4;
      else if (lower.includes(w)) score += 1;
    }
    return { ...f, score };
  });
  return ranked.sort((a, b) =>
    b.score - a.score || depthOf(a.path) - depthOf(b.path) || a.path.localeCompare(b.path)
  );
}

function depthOf(path: string): number {
  return path.split("/").length - 1;
}

/** What {@link renderRepoMap} draws. */
export interface RepoMapInput {
  files: readonly MapFile[];
  /** From {@link rankFiles}. */
  ranked: readonly RankedFile[];
  /** Symbols of the files that were parsed, by path. */
  symbols: ReadonlyMap<string, readonly MapSymbol[]>;
  /** Most characters of the whole map. */
  budgetChars: number;
  /** True when the walk stopped early (a bound was hit). */
  incomplete?: boolean;
}

/** Files per directory, recursively (`""` is the root). */
export function directoryCounts(files: readonly MapFile[]): Map<string, number> {
  const counts = new Map<string, number>([["", 0]]);
  for (const f of files) {
    const parts = f.path.split("/");
    counts.set("", counts.get("")! + 1);
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      counts.set(dir, (counts.get(dir) ?? 0) + 1);
    }
  }
  return counts;
}

/** One line of symbols: `path: class Beta, function alpha, …`. */
function symbolLine(path: string, symbols: readonly MapSymbol[], max: number): string {
  // Top-level first; members only after them, named with their scope.
  const ordered = [...symbols].sort((a, b) =>
    (a.scope ? 1 : 0) - (b.scope ? 1 : 0) || a.line - b.line
  );
  const parts: string[] = [];
  let length = path.length + 2;
  for (const s of ordered) {
    const part = `${s.kind} ${s.scope ? `${s.scope}.` : ""}${s.name}`;
    if (length + part.length + 2 > max) {
      parts.push(`… ${ordered.length - parts.length} more`);
      break;
    }
    parts.push(part);
    length += part.length + 2;
  }
  return `${path}: ${parts.join(", ")}`;
}

/**
 * The map as text within `budgetChars`: a header, the tree (directories with
 * their file counts; the ticket's files first, then the shallowest, while the
 * budget lasts; what is left out is counted), then the symbols of the most
 * relevant files (at most 40 % of the budget).
 */
export function renderRepoMap(input: RepoMapInput): string {
  const budget = Math.max(200, input.budgetChars);
  const counts = directoryCounts(input.files);
  const header = `${input.files.length}${input.incomplete ? "+" : ""} files in ${
    counts.size - 1
  } directories. Directory (files below it); the files the ticket points at come first.`;

  const symbolLines: string[] = [];
  let symbolChars = 0;
  const symbolBudget = Math.floor(budget * 0.4);
  for (const f of input.ranked) {
    const symbols = input.symbols.get(f.path);
    if (!symbols || symbols.length === 0) continue;
    const line = symbolLine(f.path, symbols, 400);
    if (symbolChars + line.length + 1 > symbolBudget) break;
    symbolLines.push(line);
    symbolChars += line.length + 1;
  }
  const symbolsText = symbolLines.length > 0
    ? `\n\nTop-level symbols of the most relevant files:\n${symbolLines.join("\n")}`
    : "";
  const treeBudget = budget - header.length - symbolsText.length - 2;

  // Choose what the tree shows: ranked files, then directories and files by depth.
  const scored = input.ranked.filter((f) => f.score > 0);
  const byDepth = [...input.files].sort((a, b) =>
    depthOf(a.path) - depthOf(b.path) || a.path.localeCompare(b.path)
  );
  const dirs = [...counts.keys()].filter((d) => d !== "")
    .sort((a, b) => depthOf(a) - depthOf(b) || a.localeCompare(b));
  const order: { path: string; dir: boolean }[] = [
    ...scored.map((f) => ({ path: f.path, dir: false })),
    ...dirs.filter((d) => depthOf(d) <= 1).map((d) => ({ path: d, dir: true })),
    ...byDepth.filter((f) => depthOf(f.path) === 0).map((f) => ({ path: f.path, dir: false })),
    ...dirs.filter((d) => depthOf(d) === 2).map((d) => ({ path: d, dir: true })),
    ...byDepth.filter((f) => depthOf(f.path) >= 1).map((f) => ({ path: f.path, dir: false })),
    ...dirs.filter((d) => depthOf(d) > 2).map((d) => ({ path: d, dir: true })),
  ];
  const shownDirs = new Set<string>([""]);
  const shownFiles = new Set<string>();
  let used = 0;
  const lineCost = (path: string, dir: boolean) => {
    const name = path.slice(path.lastIndexOf("/") + 1);
    return 2 * depthOf(path) + name.length + (dir ? 16 : 1) + 1;
  };
  // Room for the "… N more files" lines.
  const slack = Math.min(treeBudget * 0.15, 2000);
  for (const item of order) {
    if (item.dir ? shownDirs.has(item.path) : shownFiles.has(item.path)) continue;
    const parts = item.path.split("/");
    const missing: string[] = [];
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      if (!shownDirs.has(d)) missing.push(d);
    }
    const cost = lineCost(item.path, item.dir) + missing.reduce((n, d) => n + lineCost(d, true), 0);
    if (used + cost > treeBudget - slack) continue;
    used += cost;
    for (const d of missing) shownDirs.add(d);
    if (item.dir) shownDirs.add(item.path);
    else shownFiles.add(item.path);
  }

  const render = (): string => {
    const lines: string[] = [];
    const children = new Map<string, { dirs: string[]; files: string[] }>();
    const entry = (d: string) => {
      if (!children.has(d)) children.set(d, { dirs: [], files: [] });
      return children.get(d)!;
    };
    for (const d of shownDirs) {
      if (d === "") continue;
      const parent = d.includes("/") ? d.slice(0, d.lastIndexOf("/")) : "";
      entry(parent).dirs.push(d);
    }
    for (const f of shownFiles) {
      const parent = f.includes("/") ? f.slice(0, f.lastIndexOf("/")) : "";
      entry(parent).files.push(f);
    }
    const walk = (dir: string, indent: string) => {
      const c = children.get(dir) ?? { dirs: [], files: [] };
      for (const f of c.files.sort()) lines.push(`${indent}${f.slice(f.lastIndexOf("/") + 1)}`);
      for (const d of c.dirs.sort()) {
        lines.push(`${indent}${d.slice(d.lastIndexOf("/") + 1)}/ (${counts.get(d)})`);
        walk(d, `${indent}  `);
      }
      const hidden = (counts.get(dir) ?? 0) -
        c.files.length -
        c.dirs.reduce((n, d) => n + (counts.get(d) ?? 0), 0);
      if (hidden > 0 && (c.files.length > 0 || dir === "")) {
        lines.push(`${indent}… ${hidden} more file(s)`);
      }
    };
    walk("", "");
    return `${header}\n${lines.join("\n")}${symbolsText}`;
  };
  let text = render();
  // The estimate above is close; make the budget a guarantee.
  while (text.length > budget && shownFiles.size + shownDirs.size > 1) {
    const last = [...order].reverse().find((i) =>
      i.dir ? shownDirs.has(i.path) && i.path !== "" : shownFiles.has(i.path)
    );
    if (!last) break;
    if (last.dir) {
      for (const d of [...shownDirs]) {
        if (d === last.path || d.startsWith(`${last.path}/`)) shownDirs.delete(d);
      }
      for (const f of [...shownFiles]) if (f.startsWith(`${last.path}/`)) shownFiles.delete(f);
    } else shownFiles.delete(last.path);
    text = render();
  }
  return text.length > budget ? text.slice(0, budget) : text;
}
