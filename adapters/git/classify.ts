/**
 * Turns a failed git command's (already redacted) output into a typed
 * {@link GitError}: transient for network trouble and held locks, permanent for
 * refused credentials, missing repositories and everything unknown.
 *
 * @module
 */
import type { ErrorKind } from "../../domain/ports/errors.ts";
import { GitError, type GitErrorCode } from "../../domain/ports/git.ts";

interface Rule {
  pattern: RegExp;
  kind: ErrorKind;
  code: GitErrorCode;
}

/** First match wins; git runs with `LC_ALL=C`, so its messages are in English. */
const RULES: readonly Rule[] = [
  { pattern: /\[remote rejected\]/, kind: "permanent", code: "remote_rejected" },
  {
    pattern: /\[rejected\].*\((?:non-fast-forward|fetch first|stale info)\)/,
    kind: "permanent",
    code: "non_fast_forward",
  },
  {
    pattern:
      /Authentication failed|could not read (?:Username|Password)|terminal prompts disabled|returned error: 40[13]\b|HTTP 40[13]\b|Permission denied \(publickey/i,
    kind: "permanent",
    code: "auth",
  },
  {
    pattern:
      /Repository not found|does not appear to be a git repository|returned error: 404\b|HTTP 404\b|Couldn't find remote ref|not found/i,
    kind: "permanent",
    code: "not_found",
  },
  {
    pattern:
      /Could not resolve host|Failed to connect|Connection (?:timed out|refused|reset)|Operation timed out|early EOF|RPC failed|remote end hung up|returned error: 5\d\d\b|HTTP 5\d\d\b|SSL|TLS|unable to access/i,
    kind: "transient",
    code: "network",
  },
  {
    pattern: /index\.lock': File exists|cannot lock ref|Unable to create '.*\.lock'/i,
    kind: "transient",
    code: "busy",
  },
];

/** The typed error for a failed git command; `detail` is redacted git output. */
export function classifyGitFailure(action: string, detail: string): GitError {
  const trimmed = detail.trim().slice(-4000);
  const rule = RULES.find((r) => r.pattern.test(trimmed));
  const message = `git ${action} failed${trimmed ? `: ${trimmed}` : ""}`;
  if (!rule) return new GitError("permanent", "git_failed", message);
  if (rule.code === "non_fast_forward") {
    return new GitError(
      rule.kind,
      rule.code,
      `${message}\nThe remote branch has commits this run does not have (someone pushed ` +
        `meanwhile); nothing was forced. Run again to continue from the remote branch.`,
    );
  }
  return new GitError(rule.kind, rule.code, message);
}
