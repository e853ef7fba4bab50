/**
 * The GitHub adapter: {@link createGitHubClient} (octokit, a personal access
 * token or a GitHub App installation) and its options.
 *
 * @module
 */
export { createGitHubClient, type GitHubClientOptions, OctokitGitHubClient } from "./client.ts";
export type { AppCredentials } from "./auth.ts";
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./request_policy.ts";
