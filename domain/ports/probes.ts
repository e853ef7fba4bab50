/**
 * What `deno task doctor` asks of the outside world beyond what a run needs:
 * who the credentials are, what they may do, whether a remote answers. Kept
 * out of the workflow's ports so each port says one thing. The same adapters
 * implement both.
 *
 * @module
 */
import type { RepoSource } from "./git.ts";
import type { RepoAccess, RepoSlug } from "./github.ts";
import type { JiraUser } from "./jira.ts";

/** Jira: the account the client is authenticated as. */
export interface JiraProbe {
  myself(): Promise<JiraUser>;
}

/** GitHub: whether the credentials may read and push a repository. */
export interface GitHubProbe {
  getRepoAccess(repo: RepoSlug): Promise<RepoAccess>;
}

/** git: a remote branch's head commit, or null when the branch does not exist. */
export interface GitProbe {
  remoteHead(repo: RepoSource, branch: string): Promise<string | null>;
}
