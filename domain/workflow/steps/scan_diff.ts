/**
 * Step `scan_diff`: what the run would publish, checked before anything is
 * committed: no larger than allowed, and free of secrets (a hit names the
 * files, never the value, and nothing is pushed). The scanned diff is stored;
 * the commit step commits exactly it.
 *
 * @module
 */
import type { EventOf } from "../../events.ts";
import type { SecretScanner } from "../../ports/secrets.ts";
import { RunStopped } from "../failure.ts";
import type { RunContext } from "../run_context.ts";

const encoder = new TextEncoder();

/** Scans the diff and records `DiffScanned`. */
export async function scanDiff(ctx: RunContext): Promise<EventOf<"DiffScanned">> {
  const { git, secrets, settings } = ctx.deps;
  const worktree = await ctx.worktree();
  const { startSha } = ctx.required("prepare_workspace", "WorkspacePrepared");
  const { tree, diff, filesChanged } = await git.snapshot(worktree, { from: startSha });
  const bytes = encoder.encode(diff).length;
  if (diff.trim() === "") {
    return {
      type: "DiffScanned",
      data: { runId: ctx.runId, empty: true, bytes: 0, filesChanged: [] },
    };
  }
  if (bytes > settings.maxDiffBytes) {
    throw new RunStopped(
      "scan_diff",
      "budget",
      `the change is ${bytes} bytes, over the largest diff allowed (${settings.maxDiffBytes})`,
    );
  }
  if (secrets.contains(diff)) {
    // Where and what kind; never the value.
    const findings = "scanDiff" in secrets
      ? (secrets as SecretScanner).scanDiff(diff).map((f) => `${f.file}: ${f.kind}`)
      : [];
    throw new RunStopped(
      "scan_diff",
      "permanent",
      `the change contains what looks like a secret (${
        findings.length ? `in ${[...new Set(findings)].join(", ")}` : "in the diff"
      }); nothing was pushed`,
    );
  }
  return {
    type: "DiffScanned",
    data: {
      runId: ctx.runId,
      empty: false,
      bytes,
      filesChanged,
      patch: await ctx.putText(diff, "text/x-diff"),
      tree,
    },
  };
}
