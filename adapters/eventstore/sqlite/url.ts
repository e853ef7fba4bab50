/**
 * `DATABASE_URL` values for the SQLite engine.
 *
 * @module
 */

/**
 * The file path named by a `sqlite:` URL:
 * - `sqlite:data/runner.db` → `data/runner.db` (relative to the working directory);
 * - `sqlite:///abs/path.db` → `/abs/path.db` (percent-escapes decoded);
 * - `sqlite::memory:` → `:memory:` (a private in-memory database, for tests).
 *
 * Throws for anything else (another scheme, a host, an empty path).
 */
export function sqlitePathFromUrl(url: string): string {
  if (!url.startsWith("sqlite:")) {
    throw new TypeError(`not a sqlite: URL: ${JSON.stringify(url)}`);
  }
  const rest = url.slice("sqlite:".length);
  if (rest === ":memory:") return ":memory:";
  if (rest.startsWith("//")) {
    if (!rest.startsWith("///")) {
      throw new TypeError(
        `sqlite URL ${
          JSON.stringify(url)
        } names a host; use sqlite:relative/path.db or sqlite:///absolute/path.db`,
      );
    }
    const path = decodeURIComponent(rest.slice(2));
    if (path === "/") throw new TypeError(`sqlite URL ${JSON.stringify(url)} has no file path`);
    return path;
  }
  if (rest.length === 0) throw new TypeError(`sqlite URL ${JSON.stringify(url)} has no file path`);
  return rest;
}
