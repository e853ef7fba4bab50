/**
 * Step `commit`: one commit of exactly the scanned diff on top of the start
 * commit, with a message built from recorded facts only, so a resumed run (on
 * this host or another) can make the very same commit again.
 *
 * @module
 */
import type { EventOf } from "../../events.ts";
import type { CommitRequest } from "../../ports/git.ts";
import { RunStopped } from "../failure.ts";
import { commitTitle } from "../prompt.ts";
import { summaryContradictsDiff } from "../claims.ts";
import { claimFindings } from "./claims.ts";
import type { RunContext } from "../run_context.ts";

const encoder = new TextEncoder();

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The run's commit, from what the run recorded; `date` makes it reproducible. */
export async function commitRequest(ctx: RunContext, date: string): Promise<CommitRequest> {
  const generated = ctx.required("generate_changes", "ChangesGenerated");
  const snapshot = await ctx.snapshot();
  const key = ctx.issueKey;
  // A summary that contradicts the diff ("No change made" over changes) is no title.
  const title = summaryContradictsDiff(claimFindings(ctx))
    ? commitTitle(key, snapshot.issue.summary, snapshot.issue.summary)
    : commitTitle(key, generated.summary, snapshot.issue.summary);
  const requester = snapshot.requesterAccountId;
  return {
    message: `${title}\n\n${ctx.deps.secrets.redact(generated.summary)}`.slice(0, 9_000),
    author: ctx.deps.settings.commitAuthor,
    trailers: [
      `Jira-Issue: ${key}`,
      `AI-Runner-Run: ${ctx.runId}`,
      ...(requester ? [`Requested-by: jira:${requester}`] : []),
    ],
    date,
  };
}

/**
 * Commits exactly the scanned tree on top of the start commit. The worktree
 * must still hold that tree (on another host: rebuilt from the stored diff);
 * anything written after the scan, by whatever still ran, stops the run.
 */
export async function commitScannedTree(
  ctx: RunContext,
  date: string,
): Promise<{ sha: string; filesChanged: string[]; message: string } | null> {
  const { git } = ctx.deps;
  const worktree = await ctx.worktree();
  const { startSha } = ctx.required("prepare_workspace", "WorkspacePrepared");
  const scanned = ctx.required("scan_diff", "DiffScanned");
  // An attempt cut short after committing left a commit nobody recorded: start over from it.
  if (await git.head(worktree) !== startSha) await git.reset(worktree, startSha, "soft");
  const now = await git.snapshot(worktree, { from: startSha });
  const same = scanned.tree
    ? now.tree === scanned.tree
    : scanned.patch !== undefined && await sha256(now.diff) === scanned.patch.sha256;
  if (!same) {
    throw new RunStopped(
      "commit",
      "permanent",
      "the worktree changed after its diff was scanned; nothing was committed",
    );
  }
  const request = await commitRequest(ctx, date);
  const made = await git.commitTree(worktree, now.tree, request);
  return made && { ...made, message: request.message.split("\n")[0] };
}

/** Commits the scanned changes and records `ChangesCommitted`. */
export async function commit(ctx: RunContext): Promise<EventOf<"ChangesCommitted">> {
  const date = ctx.deps.clock().toISOString();
  const made = await commitScannedTree(ctx, date);
  if (!made) throw new RunStopped("commit", "permanent", "there was nothing to commit");
  return {
    type: "ChangesCommitted",
    data: {
      runId: ctx.runId,
      sha: made.sha,
      message: made.message,
      filesChanged: made.filesChanged,
      committedAt: date,
    },
  };
}
