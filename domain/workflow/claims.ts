/**
 * Honest hand-over: the model's `finish` summary checked against what the
 * diff actually changed, before it becomes a commit title, a PR body and a
 * Jira comment. Findings:
 * - `no_change_but_diff`: the summary says nothing was changed, yet files changed;
 * - `change_but_empty_diff`: the summary describes work, yet nothing changed;
 * - `mentioned_not_changed`: the summary names files the diff does not touch
 *   (each with whether it exists in the repository, when that is known).
 *
 * Pure.
 *
 * @module
 */

/** One mismatch between the summary and the diff. */
export interface ClaimFinding {
  kind: "no_change_but_diff" | "change_but_empty_diff" | "mentioned_not_changed";
  /** A sentence for people (PR body, Jira comment). */
  message: string;
  /** For `mentioned_not_changed`: the paths named but not changed. */
  paths?: { path: string; exists: boolean | null }[];
}

/** What {@link checkClaims} compares. */
export interface ClaimsInput {
  /** The model's summary. */
  summary: string;
  /** Paths the diff changes (relative to the repository root). */
  changedFiles: readonly string[];
  /**
   * The repository's files after the change (e.g. `git ls-files`, or the repo
   * map's list); absent: unknown. A bare name ("install.md") exists when some
   * file ends in it; a bare name that matches nothing is taken for prose
   * ("Node.js") and not reported.
   */
  repoFiles?: readonly string[];
}

/**
 * Sentences that say no change was made: the phrase opens a sentence (maybe
 * after "I"/"We") and ends it or is followed only by a reason ("because …"),
 * so "no changes to the public API" or "no change needed elsewhere" do not count.
 */
const NO_CHANGE = new RegExp(
  String.raw`(?:^|[.!?\n]\s*)(?:(?:I|We)\s+)?(?:` +
    [
      String
        .raw`no (?:code |file )?changes? (?:(?:was|were|is|are) )?(?:made|needed|required|necessary)`,
      String.raw`no (?:code |file )?changes?`,
      String.raw`(?:have |has )?made no (?:code |file )?changes?`,
      String.raw`nothing (?:to change|(?:was |has been )?changed|needed (?:to be )?changed)`,
      String
        .raw`(?:did|have|has) not (?:change|changed|modify|modified|edit|edited) (?:anything|any (?:code|files?))`,
      String.raw`left (?:the (?:code|files?|repository)|everything) unchanged`,
    ].join("|") +
    String.raw`)(?=\s*(?:$|[.!?:;,\n]|(?:because|since|as)\b|[—–-]\s))`,
  "i",
);

/** Extensions that make a bare token (no `/`) count as a file name. */
const FILE_EXTENSIONS = new Set([
  "ts",
  "tsx",
  "js",
  "jsx",
  "mjs",
  "cjs",
  "json",
  "md",
  "mdx",
  "yml",
  "yaml",
  "toml",
  "py",
  "rb",
  "go",
  "rs",
  "java",
  "kt",
  "cs",
  "c",
  "h",
  "cpp",
  "hpp",
  "php",
  "sh",
  "css",
  "scss",
  "html",
  "vue",
  "svelte",
  "sql",
  "txt",
  "xml",
  "ini",
  "cfg",
  "conf",
  "lock",
  "gradle",
  "swift",
  "rst",
  "adoc",
  "env",
]);

/** File paths named in a text: tokens with a `/` and an extension, or a known file extension. */
export function mentionedPaths(text: string): string[] {
  const found = new Set<string>();
  const token =
    /(?:^|[\s`'"(\[<*])((?:\.{0,2}\/)?(?:[\w@.+-]+\/)*[\w@+-][\w@.+-]*\.[A-Za-z][A-Za-z0-9]{0,7})(?=$|[\s`'"),:;\]>*!?]|\.(?:\s|$))/g;
  for (const m of text.matchAll(token)) {
    const start = m.index! + m[0].length - m[1].length;
    if (/[a-z][a-z0-9+.-]*:\/\/\S*$/i.test(text.slice(Math.max(0, start - 200), start))) continue;
    const path = m[1].replace(/^\.\//, "");
    const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
    if (path.startsWith("../") || path.startsWith("/")) continue;
    if (!path.includes("/") && !FILE_EXTENSIONS.has(ext)) continue;
    if (/^(?:e\.g|i\.e|etc|vs)\.?$/i.test(path)) continue;
    found.add(path);
  }
  return [...found];
}

/** True when a mention refers to a changed file: the same path, or a path ending in it. */
function touched(mention: string, changed: readonly string[]): boolean {
  return changed.some((c) => c === mention || c.endsWith(`/${mention}`));
}

/** Checks the model's summary against the diff; [] when they agree. */
export function checkClaims(input: ClaimsInput): ClaimFinding[] {
  const findings: ClaimFinding[] = [];
  const summary = input.summary.trim();
  const changed = input.changedFiles;
  const saysNoChange = NO_CHANGE.test(summary);
  if (saysNoChange && changed.length > 0) {
    findings.push({
      kind: "no_change_but_diff",
      message: `The summary says no change was made, but ${changed.length} file(s) changed: ${
        listed(changed)
      }.`,
    });
  }
  if (!saysNoChange && changed.length === 0 && summary !== "") {
    findings.push({
      kind: "change_but_empty_diff",
      message: "The summary describes changes, but the diff is empty: nothing was changed.",
    });
  }
  const files = input.repoFiles;
  const paths = mentionedPaths(summary).filter((p) => !touched(p, changed))
    .map((path) => ({ path, exists: files ? touched(path, files) : null }))
    .filter((p) => p.path.includes("/") || p.exists !== false);
  const untouched = paths.map((p) => p.path);
  if (untouched.length > 0 && changed.length > 0) {
    const missing = paths.filter((p) => p.exists === false).map((p) => p.path);
    findings.push({
      kind: "mentioned_not_changed",
      message: `The summary names file(s) this change does not touch: ${listed(untouched)}` +
        (missing.length > 0 ? ` (not in the repository: ${listed(missing)})` : "") + ".",
      paths,
    });
  }
  return findings;
}

function listed(paths: readonly string[], max = 10): string {
  const shown = paths.slice(0, max).map((p) => `\`${p.replace(/`/g, "")}\``).join(", ");
  return paths.length > max ? `${shown} and ${paths.length - max} more` : shown;
}

/** True when the summary must not become the commit title (it contradicts the diff). */
export function summaryContradictsDiff(findings: readonly ClaimFinding[]): boolean {
  return findings.some((f) =>
    f.kind === "no_change_but_diff" || f.kind === "change_but_empty_diff"
  );
}

/** The findings as a Markdown section for the PR body and the Jira comment; `""` when none. */
export function formatClaimFindings(findings: readonly ClaimFinding[]): string {
  if (findings.length === 0) return "";
  return [
    "**The runner checked the summary against the diff:**",
    ...findings.map((f) => `- ${f.message}`),
  ].join("\n");
}
