/**
 * Per-run git overhead (no LLM, no validation) on a generated repository of
 * 10,000 files and 2,000 commits: the first run (bare cache clone + worktree),
 * later runs (fetch + worktree), and a full later run (prepare, edit, commit,
 * push, remove), against a fresh `git clone` per run measured in the same run.
 *
 * @module
 */
import { GitCliWorkspaces } from "../../adapters/git/mod.ts";

async function git(cwd: string, args: string[], stdin?: string): Promise<void> {
  const child = new Deno.Command("git", {
    args,
    cwd,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  if (!out.success) throw new Error(`git ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
}

/** A fast-import stream: one commit adding `files` files, then `commits - 1` small commits. */
function fastImport(files: number, commits: number): string {
  const parts: string[] = [];
  const blob = (text: string) => `data ${new TextEncoder().encode(text).length}\n${text}\n`;
  const when = 1_700_000_000;
  parts.push(
    "commit refs/heads/main\n",
    `committer Bench <bench@example.com> ${when} +0000\n`,
    blob("Initial docs"),
  );
  for (let i = 0; i < files; i++) {
    parts.push(
      `M 100644 inline docs/section-${i % 100}/page-${i}.md\n`,
      blob(`# Page ${i}\n\nSome text for page ${i}.\n`),
    );
  }
  for (let c = 1; c < commits; c++) {
    parts.push(
      "commit refs/heads/main\n",
      `committer Bench <bench@example.com> ${when + c} +0000\n`,
      blob(`Edit ${c}`),
    );
    for (let k = 0; k < 3; k++) {
      const i = (c * 7 + k * 131) % files;
      parts.push(
        `M 100644 inline docs/section-${i % 100}/page-${i}.md\n`,
        blob(`# Page ${i}\n\nRevision ${c}.\n`),
      );
    }
  }
  return parts.join("");
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs the workspace benchmark. */
export async function benchWorkspace(
  report: (line: string) => void,
  files = Number(Deno.env.get("BENCH_REPO_FILES") ?? 10_000),
  commits = Number(Deno.env.get("BENCH_REPO_COMMITS") ?? 2_000),
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "bench-workspace-" });
  try {
    const remote = `${dir}/remote.git`;
    await git(dir, ["init", "-q", "--bare", "-b", "main", remote]);
    const [genMs] = await time(() =>
      git(remote, ["fast-import", "--quiet"], fastImport(files, commits))
    );
    report(
      `workspace setup: generated ${files} files, ${commits} commits in ${
        (genMs / 1000).toFixed(1)
      } s`,
    );

    const ws = new GitCliWorkspaces({ cacheDir: `${dir}/cache`, worktreeDir: `${dir}/worktrees` });
    const prepare = (n: number) =>
      ws.prepare({
        repoId: "docs",
        cloneUrl: remote,
        baseBranch: "main",
        branch: `ai/BENCH-${n}`,
        runId: `run-${n}`,
      });
    const [firstMs, first] = await time(() => prepare(0));
    await ws.remove(first);

    // Interleaved, so that both see the same disk and load (this VM's I/O varies a lot).
    const baseline: number[] = [];
    const later: number[] = [];
    for (let n = 1; n <= 5; n++) {
      const [cloneMs] = await time(() => git(dir, ["clone", "-q", remote, `${dir}/clone-${n}`]));
      baseline.push(cloneMs);
      await Deno.remove(`${dir}/clone-${n}`, { recursive: true });
      const [ms, wt] = await time(() => prepare(n));
      later.push(ms);
      await ws.remove(wt);
    }

    const full: number[] = [];
    for (let n = 10; n < 13; n++) {
      const [ms] = await time(async () => {
        const wt = await prepare(n);
        await Deno.writeTextFile(`${wt.path}/docs/section-1/page-1.md`, `# Page 1\n\nRun ${n}.\n`);
        await ws.commit(wt, {
          message: `BENCH-${n}: Edit page 1`,
          author: { name: "AI Runner", email: "ai@example.com" },
        });
        await ws.push(wt, { branch: `ai/BENCH-${n}` });
        await ws.remove(wt);
      });
      full.push(ms);
    }

    const b = median(baseline);
    const l = median(later);
    report(`workspace baseline (fresh git clone per run): median ${b.toFixed(0)} ms`);
    report(`workspace first run (bare cache clone + worktree): ${firstMs.toFixed(0)} ms`);
    report(
      `workspace later run (fetch + worktree): median ${l.toFixed(0)} ms — ` +
        `${(b / l).toFixed(1)}x faster than a fresh clone (target ≥ 5x: ${
          b / l >= 5 ? "met" : "NOT met"
        })`,
    );
    report(
      `workspace full later run (prepare, edit, commit, push, remove): median ${
        median(full).toFixed(0)
      } ms`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  await benchWorkspace((line) => console.log(line));
}
