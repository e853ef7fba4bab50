/**
 * A tiny argument reader for the CLI: `--flag`, `--name value`, positionals.
 *
 * @module
 */

/** Parsed command-line arguments. */
export interface Args {
  positionals: string[];
  flags: Map<string, string | true>;
}

/** Parses `args`; `valued` names the flags that take a value. */
export function parseArgs(args: readonly string[], valued: readonly string[] = []): Args {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith("--")) {
      const [name, inline] = a.slice(2).split("=", 2);
      if (inline !== undefined) flags.set(name, inline);
      else if (valued.includes(name)) {
        const value = args[++i];
        if (value === undefined) throw new Error(`--${name} needs a value`);
        flags.set(name, value);
      } else flags.set(name, true);
    } else positionals.push(a);
  }
  return { positionals, flags };
}
