/**
 * A tiny argument reader for the CLI: `--flag`, `--name value`, `--name=value`,
 * positionals, and (with a list of known flags) a clear error for any other.
 *
 * @module
 */

/** Parsed command-line arguments. */
export interface Args {
  positionals: string[];
  flags: Map<string, string | true>;
}

/** A command line that does not fit the command: printed with the usage, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses `args`; `valued` names the flags that take a value. With `known`
 * (every flag the command takes, valued or not), any other `--flag` throws a
 * {@link UsageError} naming it, so a typo (`--jsn`) is never silently ignored.
 */
export function parseArgs(
  args: readonly string[],
  valued: readonly string[] = [],
  known?: readonly string[],
): Args {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const inline = eq < 0 ? undefined : a.slice(eq + 1);
      if (known && !known.includes(name) && !valued.includes(name)) {
        const all = [...new Set([...known, ...valued])].map((f) => `--${f}`);
        throw new UsageError(
          `unknown option --${name}` +
            (all.length ? ` (this command takes ${all.join(", ")})` : ""),
        );
      }
      if (inline !== undefined) flags.set(name, inline);
      else if (valued.includes(name)) {
        const value = args[++i];
        if (value === undefined || value.startsWith("--")) {
          throw new UsageError(`--${name} needs a value`);
        }
        flags.set(name, value);
      } else flags.set(name, true);
    } else if (known && /^-[A-Za-z]/.test(a) && a !== "-h") {
      throw new UsageError(`unknown option ${a} (options are spelled --name)`);
    } else positionals.push(a);
  }
  return { positionals, flags };
}
