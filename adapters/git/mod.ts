/**
 * The git adapter: {@link GitCliWorkspaces}, per-run worktrees over a bare cache
 * per repository, driven through the git CLI.
 *
 * @module
 */
export { GitCliWorkspaces, type GitCliWorkspacesOptions } from "./workspaces.ts";
