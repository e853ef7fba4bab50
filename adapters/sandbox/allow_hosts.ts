/**
 * The `allowHosts` rule of a routing entry: which `host:port` a sandboxed
 * `setup` command may reach through the proxy. An entry is a host name or
 * address (ports 80 and 443), `host:port` (that port only), or `*.domain`
 * (any subdomain, ports 80 and 443). Names compare case-insensitively.
 *
 * @module
 */

/** One parsed entry. */
interface HostRule {
  host: string;
  wildcard: boolean;
  port: number | null;
}

function parseRule(entry: string): HostRule {
  let text = entry.trim().toLowerCase();
  let port: number | null = null;
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    return {
      host: bracketed[1],
      wildcard: false,
      port: bracketed[2] ? Number(bracketed[2]) : null,
    };
  }
  const colon = text.lastIndexOf(":");
  if (colon > 0 && text.indexOf(":") === colon) {
    port = Number(text.slice(colon + 1));
    text = text.slice(0, colon);
  }
  const wildcard = text.startsWith("*.");
  return { host: wildcard ? text.slice(2) : text, wildcard, port };
}

/** True when `host:port` is allowed by `entries`. */
export function hostAllowed(entries: readonly string[], host: string, port: number): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  return entries.map(parseRule).some((rule) => {
    const portOk = rule.port === null ? port === 80 || port === 443 : rule.port === port;
    if (!portOk) return false;
    return rule.wildcard ? name.endsWith(`.${rule.host}`) : name === rule.host;
  });
}
