/**
 * Who is at the keyboard: `--by NAME` or `$USER`, with this host's name, as a
 * `Person` and an event actor (`cli:<name>@<host>`).
 *
 * @module
 */
import type { Person } from "../../domain/events.ts";

/** The operator of a CLI command, for `requestedBy` / `cancelledBy` and `metadata.actor`. */
export function cliOperator(
  by: string | undefined,
  env: { user?: string; host?: string } = {},
): { person: Person; actor: string } {
  const name = clean(by ?? env.user ?? Deno.env.get("USER") ?? Deno.env.get("LOGNAME") ?? "") ||
    "operator";
  let host = env.host;
  if (host === undefined) {
    try {
      host = Deno.hostname();
    } catch {
      host = "unknown-host";
    }
  }
  const h = clean(host) || "unknown-host";
  return { person: { displayName: `${name} (cli on ${h})` }, actor: `cli:${name}@${h}` };
}

/** Printable, bounded: no control characters, at most 100 characters. */
function clean(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, "").trim().slice(0, 100);
}
