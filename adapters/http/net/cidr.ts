/**
 * IP addresses and CIDR ranges (IPv4 and IPv6) for allow-lists and trusted
 * proxies. Pure: parsing and prefix matching on bytes, no DNS, no I/O.
 *
 * @module
 */

/** An IP address as bytes: 4 for IPv4, 16 for IPv6 (IPv4-mapped IPv6 is folded to IPv4). */
export type IpBytes = Uint8Array;

/** A parsed CIDR range such as `10.0.0.0/8` or `2001:db8::/32`. */
export interface Cidr {
  /** The range as written, for messages. */
  readonly text: string;
  readonly bytes: IpBytes;
  readonly prefix: number;
}

function parseIpv4(text: string): IpBytes | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseIpv6(text: string): IpBytes | null {
  const zone = text.indexOf("%");
  const body = zone >= 0 ? text.slice(0, zone) : text;
  if (!/^[0-9a-fA-F:.]{2,45}$/.test(body)) return null;
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  let all: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    all = [...head, ...new Array(missing).fill(0), ...tail];
  } else {
    all = head;
  }
  if (all.length !== 8) return null;
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function foldMapped(bytes: IpBytes): IpBytes {
  if (bytes.length !== 16) return bytes;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return bytes;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return bytes;
  return bytes.slice(12);
}

/** Parses an IPv4 or IPv6 address (brackets and an IPv6 zone allowed); null if it is not one. */
export function parseIp(text: string): IpBytes | null {
  let t = text.trim();
  if (t.length === 0 || t.length > 64) return null;
  if (t.startsWith("[") && t.endsWith("]")) t = t.slice(1, -1);
  if (t.includes(":")) {
    const v6 = parseIpv6(t);
    return v6 ? foldMapped(v6) : null;
  }
  return parseIpv4(t);
}

/**
 * Parses one entry of an `X-Forwarded-For` list: an address, possibly with a
 * port (`1.2.3.4:5678`, `[2001:db8::1]:443`). Null when it is not an address.
 */
export function parseForwardedAddress(entry: string): IpBytes | null {
  const t = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(t);
  if (bracketed) return parseIp(bracketed[1]);
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(t);
  if (v4port) return parseIp(v4port[1]);
  return parseIp(t);
}

/** The canonical text of an address: dotted quad, or RFC 5952-style IPv6. */
export function formatIp(bytes: IpBytes): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/**
 * Parses a CIDR range (`192.168.0.0/16`, `2001:db8::/32`) or a bare address
 * (a single-host range). Throws a clear error for anything else: ranges come
 * from configuration, and a bad one must stop the start.
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  const addrText = slash >= 0 ? text.slice(0, slash) : text;
  const raw = addrText.includes(":") ? parseIpv6(addrText.trim()) : parseIpv4(addrText.trim());
  if (!raw) throw new Error(`not an IP address or CIDR range: ${JSON.stringify(text)}`);
  const max = raw.length * 8;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) {
      throw new Error(`bad prefix length in CIDR range ${JSON.stringify(text)} (0..${max})`);
    }
    prefix = Number(p);
  }
  let bytes = raw;
  // An IPv4-mapped IPv6 range (::ffff:a.b.c.d/n, n >= 96) is the IPv4 range it maps.
  if (raw.length === 16 && prefix >= 96 && foldMapped(raw).length === 4) {
    bytes = raw.slice(12);
    prefix -= 96;
  }
  return { text, bytes, prefix };
}

/** Parses a list of CIDR ranges, reporting every bad entry in one error. */
export function parseCidrList(texts: readonly string[]): Cidr[] {
  const out: Cidr[] = [];
  const problems: string[] = [];
  for (const t of texts) {
    try {
      out.push(parseCidr(t));
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length) throw new Error(problems.join("; "));
  return out;
}

/** True when the address lies in the range (IPv4 never matches an IPv6 range and vice versa). */
export function cidrContains(range: Cidr, ip: IpBytes): boolean {
  if (range.bytes.length !== ip.length) return false;
  let bits = range.prefix;
  for (let i = 0; i < ip.length && bits > 0; i++) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((range.bytes[i] & mask) !== (ip[i] & mask)) return false;
    bits -= 8;
  }
  return true;
}

/** True when any range contains the address. */
export function anyContains(ranges: readonly Cidr[], ip: IpBytes | null): boolean {
  if (!ip) return false;
  for (const r of ranges) if (cidrContains(r, ip)) return true;
  return false;
}
