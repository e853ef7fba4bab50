/**
 * `deno task ip-ranges`: turns Atlassian's published IP ranges
 * (`https://ip-ranges.atlassian.com/`, or `--file`) into an nginx include of
 * `allow …;` lines ending in `deny all;`, for `/jira/webhook`.
 *
 * Ranges are chosen by product (default `jira`) and direction `egress` (the
 * addresses Atlassian's requests come from), never by region: Atlassian moves
 * ranges between regions. IPv4 and IPv6, normalised, de-duplicated (ranges
 * inside another are dropped) and sorted, so the file only changes when the
 * ranges do. `--format env` prints a `JIRA_ALLOWED_CIDRS=` line instead, for the
 * runner's own allow-list.
 *
 * @module
 */
import { parseArgs } from "./args.ts";

/** Where Atlassian publishes its ranges. */
export const ATLASSIAN_RANGES_URL = "https://ip-ranges.atlassian.com/";

/** Products selected by default. */
export const DEFAULT_PRODUCTS = ["jira"];

/** One item of Atlassian's file (fields beyond these are ignored). */
export interface AtlassianRangeItem {
  network?: string;
  mask_len?: number;
  cidr?: string;
  mask?: string;
  region?: string[];
  product?: string[];
  direction?: string[];
}

/** Atlassian's file: `{creationDate, syncToken, items}`. */
export interface AtlassianRanges {
  creationDate?: string;
  syncToken?: string | number;
  items: AtlassianRangeItem[];
}

/** A parsed range: family, network as a number, prefix length. */
export interface Range {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

function parseIpv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    value = (value << 8n) | BigInt(Number(p));
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  if (!/^[0-9a-f:.]+$/i.test(text) || text.split("::").length > 2) return null;
  let tail4: bigint | null = null;
  let body = text;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    tail4 = parseIpv4(text.slice(lastColon + 1));
    if (tail4 === null) return null;
    body = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = body.split("::");
  const groups = (s: string | undefined) => (s ? s.split(":") : []);
  const left = groups(head);
  const right = groups(rest);
  const missing = 8 - left.length - right.length;
  if (rest === undefined ? missing !== 0 : missing < 1) return null;
  const all = [...left, ...Array(rest === undefined ? 0 : missing).fill("0"), ...right];
  let value = 0n;
  for (const g of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== null) value = (value & ~0xffffffffn) | tail4;
  return value;
}

/** Parses `a.b.c.d/n` or `x:y::/n` (host bits are cleared); null when malformed. */
export function parseRange(cidr: string): Range | null {
  const [address, prefixText, extra] = cidr.trim().split("/");
  if (extra !== undefined || !address) return null;
  const family = address.includes(":") ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(bits)) || prefix > bits) return null;
  const value = family === 4 ? parseIpv4(address) : parseIpv6(address);
  if (value === null) return null;
  const hostBits = BigInt(bits - prefix);
  return { family, network: (value >> hostBits) << hostBits, prefix };
}

/** The canonical text of a range (RFC 5952 for IPv6). */
export function formatRange(range: Range): string {
  if (range.family === 4) {
    const octets = [24n, 16n, 8n, 0n].map((s) => String((range.network >> s) & 0xffn));
    return `${octets.join(".")}/${range.prefix}`;
  }
  const groups = Array.from(
    { length: 8 },
    (_, i) => (range.network >> BigInt(112 - 16 * i)) & 0xffffn,
  );
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0n) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0n) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  const text = best.start < 0
    ? hex.join(":")
    : `${hex.slice(0, best.start).join(":")}::${hex.slice(best.start + best.length).join(":")}`;
  return `${text}/${range.prefix}`;
}

function contains(outer: Range, inner: Range): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
  const hostBits = BigInt((outer.family === 4 ? 32 : 128) - outer.prefix);
  return (inner.network >> hostBits) === (outer.network >> hostBits);
}

/** What {@link selectRanges} found. */
export interface Selection {
  ranges: Range[];
  /** Items skipped because their CIDR could not be read. */
  malformed: string[];
}

/** Picks egress ranges of `products`, normalised, without duplicates or covered ranges, sorted. */
export function selectRanges(data: AtlassianRanges, products: readonly string[]): Selection {
  const wanted = new Set(products.map((p) => p.toLowerCase()));
  const malformed: string[] = [];
  const picked: Range[] = [];
  for (const item of data.items) {
    const directions = (item.direction ?? []).map((d) => d.toLowerCase());
    const itemProducts = (item.product ?? []).map((p) => p.toLowerCase());
    if (!directions.includes("egress") || !itemProducts.some((p) => wanted.has(p))) continue;
    const text = item.cidr ??
      (item.network && item.mask_len !== undefined ? `${item.network}/${item.mask_len}` : "");
    const range = parseRange(text);
    if (range) picked.push(range);
    else malformed.push(text || JSON.stringify(item));
  }
  picked.sort((a, b) =>
    a.family - b.family || (a.network < b.network ? -1 : a.network > b.network ? 1 : 0) ||
    a.prefix - b.prefix
  );
  const ranges: Range[] = [];
  for (const r of picked) {
    if (!ranges.some((kept) => contains(kept, r))) ranges.push(r);
  }
  return { ranges, malformed };
}

/** Checks the file's shape; throws with what is wrong. */
export function parseAtlassianRanges(text: string, source: string): AtlassianRanges {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source} is not JSON (${(e as Error).message})`);
  }
  const items = (json as { items?: unknown })?.items;
  if (!Array.isArray(items)) {
    throw new Error(`${source} has no "items" array: is it Atlassian's ranges file?`);
  }
  return json as AtlassianRanges;
}

/** The nginx include: a header naming the source, `allow` lines, `deny all;`. */
export function nginxAllowList(
  data: AtlassianRanges,
  selection: Selection,
  products: readonly string[],
  source: string,
): string {
  const v4 = selection.ranges.filter((r) => r.family === 4).length;
  const lines = [
    `# Atlassian egress ranges for product(s) ${products.join(", ")}: who may POST /jira/webhook.`,
    `# Generated by "deno task ip-ranges" from ${source}`,
    `# syncToken ${data.syncToken ?? "unknown"}, creationDate ${data.creationDate ?? "unknown"}`,
    `# ${selection.ranges.length} ranges (${v4} IPv4, ${selection.ranges.length - v4} IPv6), ` +
    "selected by product and direction (egress), not by region. Regenerate regularly.",
    ...selection.ranges.map((r) => `allow ${formatRange(r)};`),
    "deny all;",
  ];
  return lines.join("\n") + "\n";
}

/** `JIRA_ALLOWED_CIDRS=…`, for the runner's own allow-list. */
export function envAllowList(selection: Selection): string {
  return `JIRA_ALLOWED_CIDRS=${selection.ranges.map(formatRange).join(",")}\n`;
}

/** Options of {@link ipRangesCommand} beyond the arguments. */
export interface IpRangesIo {
  fetch?: typeof fetch;
  write?: (text: string) => void;
  log?: (text: string) => void;
}

/**
 * `deno task ip-ranges [--file ranges.json] [--product jira[,…]] [--format nginx|env]
 * [--out path]`.
 */
export async function ipRangesCommand(args: string[], io: IpRangesIo = {}): Promise<number> {
  const parsed = parseArgs(args, ["file", "product", "format", "out", "url"]);
  const flag = (name: string) => {
    const v = parsed.flags.get(name);
    return typeof v === "string" ? v : undefined;
  };
  const products = (flag("product") ?? DEFAULT_PRODUCTS.join(","))
    .split(",").map((p) => p.trim()).filter(Boolean);
  const format = flag("format") ?? "nginx";
  if (format !== "nginx" && format !== "env") throw new Error("--format must be nginx or env");
  const log = io.log ?? ((t: string) => console.error(t));
  const file = flag("file");
  const source = file ?? flag("url") ?? ATLASSIAN_RANGES_URL;
  let text: string;
  if (file) text = await Deno.readTextFile(file);
  else {
    const res = await (io.fetch ?? fetch)(source, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`${source} answered ${res.status}`);
    text = await res.text();
  }
  const data = parseAtlassianRanges(text, source);
  const selection = selectRanges(data, products);
  for (const m of selection.malformed) log(`skipped a malformed range: ${m}`);
  if (selection.ranges.length === 0) {
    log(
      `no egress range for product(s) ${products.join(", ")} in ${source}: nothing written ` +
        "(an empty allow-list would refuse every request)",
    );
    return 1;
  }
  const output = format === "env"
    ? envAllowList(selection)
    : nginxAllowList(data, selection, products, source);
  const out = flag("out");
  if (out) {
    const tmp = `${out}.tmp-${Deno.pid}`;
    await Deno.writeTextFile(tmp, output);
    await Deno.rename(tmp, out);
    log(`wrote ${selection.ranges.length} ranges to ${out}`);
  } else (io.write ?? writeStdout)(output);
  return 0;
}

function writeStdout(text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let done = 0; done < bytes.length;) done += Deno.stdout.writeSync(bytes.subarray(done));
}
