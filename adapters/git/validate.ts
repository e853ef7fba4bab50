/**
 * Checks on everything the git adapter puts into a path, an argument or a
 * commit: ids, branch names, clone URLs, identities and trailers. A bad value is
 * a permanent {@link GitError} with code `invalid_input`.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { GitError, type GitIdentity } from "../../domain/ports/git.ts";

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

function invalid(message: string): GitError {
  return new GitError("permanent", "invalid_input", message);
}

/** A repo id or run id usable as a single path segment. */
export function checkId(what: string, value: string): string {
  if (!SAFE_ID.test(value) || value.includes("..")) {
    throw invalid(`${what} ${JSON.stringify(value)} may hold only letters, digits, '.', '_', '-'`);
  }
  return value;
}

/**
 * A branch name git accepts (the rules of `git check-ref-format --branch`,
 * minus the exotic `@{-N}` forms) that cannot be mistaken for an option.
 */
export function checkBranch(value: string): string {
  const bad = value.length === 0 || value.length > 255 || value.startsWith("-") ||
    value.startsWith("/") || value.endsWith("/") || value.endsWith(".") ||
    value.endsWith(".lock") || value.includes("..") || value.includes("//") ||
    value.includes("@{") || value === "@" || value === "HEAD" ||
    /[~^:?*[\\]/.test(value) || [...value].some((c) => c <= " " || c === "\u007f") ||
    value.split("/").some((c) => c.startsWith("."));
  if (bad) throw invalid(`${JSON.stringify(value)} is not a valid branch name`);
  return value;
}

/**
 * The clone URL as git should see it: HTTP(S) and SSH URLs as given (without
 * credentials), `file://` URLs as given, local paths as absolute `file://` URLs.
 */
export function normalizeCloneUrl(cloneUrl: string, cwd = Deno.cwd()): string {
  const url = cloneUrl.trim();
  if (!url || url.startsWith("-")) throw invalid("cloneUrl is empty or starts with '-'");
  if (/^https?:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalid("cloneUrl is not a valid URL");
    }
    if (parsed.username || parsed.password) {
      throw invalid(
        "cloneUrl must not carry credentials; the token is passed to git separately",
      );
    }
    return url;
  }
  if (/^(?:ssh|file):\/\//i.test(url) || /^[\w.-]+@[\w.-]+:/.test(url)) return url;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[a-z][a-z0-9+.-]*::/i.test(url)) {
    throw invalid("cloneUrl must be https://, ssh://, file:// or a local path");
  }
  return pathToFileURL(isAbsolute(url) ? url : resolve(cwd, url)).href;
}

/** A commit identity without characters that would break the author line. */
export function checkIdentity(what: string, identity: GitIdentity): GitIdentity {
  const bad = (s: string) => !s.trim() || /[<>\n\r\0]/.test(s);
  if (bad(identity.name) || bad(identity.email)) {
    throw invalid(`${what} needs a name and an email without '<', '>' or newlines`);
  }
  return identity;
}

/** A trailer line `Token: value`. */
export function checkTrailer(trailer: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*: \S[^\n\r]*$/.test(trailer)) {
    throw invalid(`trailer ${JSON.stringify(trailer)} is not one line of 'Token: value'`);
  }
  return trailer;
}

/** The full commit message: subject and body, a blank line, then the trailers. */
export function commitMessage(message: string, trailers: string[] = []): string {
  const text = message.replace(/\r\n/g, "\n").trim();
  if (!text || !text.split("\n")[0].trim()) {
    throw invalid("the commit message needs a subject line");
  }
  const block = trailers.map(checkTrailer).join("\n");
  return block ? `${text}\n\n${block}\n` : `${text}\n`;
}
