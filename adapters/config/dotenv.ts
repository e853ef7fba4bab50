/**
 * Reads `.env`, in the one format that means the same to `deno task` (this
 * loader), `docker run --env-file` and systemd's `EnvironmentFile=`:
 * `NAME=value` lines, the value taken literally up to the end of the line,
 * `#` comment lines and blank lines ignored. Quotes are not syntax in Docker's
 * format (they would become part of the value), so a value wrapped in quotes
 * is refused here with the line number instead of meaning one thing under one
 * tool and another under the next. Values with spaces need no quotes.
 *
 * The process environment wins: a variable already set is never overridden.
 *
 * @module
 */

/** A `.env` line this loader (and Docker) would read differently from what was meant. */
export class DotenvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DotenvError";
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses `.env` text into name/value pairs. Empty values (`NAME=`) are left
 * out, so a `NAME_FILE` alternative still applies. Throws {@link DotenvError}
 * listing every bad line.
 */
export function parseDotenv(text: string, source = ".env"): Map<string, string> {
  const values = new Map<string, string>();
  const problems: string[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trimStart();
    if (line === "" || line.startsWith("#")) return;
    const at = `${source}:${i + 1}`;
    const eq = line.indexOf("=");
    if (eq < 0) {
      problems.push(`${at}: "${line.slice(0, 40)}" is not NAME=value`);
      return;
    }
    const name = line.slice(0, eq).trim();
    if (name.startsWith("export ")) {
      problems.push(`${at}: drop "export " (docker --env-file and systemd do not take it)`);
      return;
    }
    if (!NAME.test(name)) {
      problems.push(`${at}: "${name.slice(0, 40)}" is not a variable name`);
      return;
    }
    const value = line.slice(eq + 1);
    if (/^(["']).*\1\s*$/.test(value) && value.trim().length >= 2) {
      problems.push(
        `${at}: ${name}'s value is quoted: write ${name}=${value.trim().slice(1, -1)} ` +
          "(docker run --env-file would keep the quotes as part of the value)",
      );
      return;
    }
    if (value === "") return;
    values.set(name, value);
  });
  if (problems.length) {
    throw new DotenvError(
      `${source} has ${problems.length} bad line(s):\n  ${problems.join("\n  ")}`,
    );
  }
  return values;
}

/**
 * Loads `path` (default `.env` in the working directory) into the process
 * environment, leaving variables that are already set alone. A missing file is
 * fine (returns 0); returns how many variables it set.
 */
export function loadDotenv(
  path = ".env",
  env: { get(name: string): string | undefined; set(name: string, value: string): void } = Deno.env,
  readFile: (path: string) => string = Deno.readTextFileSync,
): number {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
  let set = 0;
  for (const [name, value] of parseDotenv(text, path)) {
    if (env.get(name) !== undefined) continue;
    env.set(name, value);
    set++;
  }
  return set;
}
